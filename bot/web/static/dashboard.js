// Centinela dashboard: vanilla JavaScript, no library, no network beyond this service.
// Texts come from the page (one table per language on the server); charts are SVG drawn here,
// each with a table view and a CSV export; the Now view is pushed by server-sent events.
"use strict";
(() => {
  const T = JSON.parse(document.getElementById("texts").textContent);
  const C = JSON.parse(document.getElementById("config").textContent);
  const $ = (id) => document.getElementById(id);
  const PALETTE = ["#60a5fa", "#f472b6", "#34d399", "#fbbf24", "#a78bfa", "#fb923c", "#22d3ee", "#e879f9", "#a3e635", "#f87171"];
  const SENTIMENT = { negative: "#f87171", neutral: "#94a3b8", positive: "#34d399" };
  const SVG = "http://www.w3.org/2000/svg";
  const state = { view: "now", now: null, lastCount: -1, stream: null, kill: false, refreshAt: 0 };

  function el(tag, attrs = {}, children = []) {
    const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v; else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children) node.append(child);
    return node;
  }

  function query(extra = {}) {
    const form = new FormData($("filters"));
    const q = new URLSearchParams();
    for (const [k, v] of form.entries()) if (v) q.set(k, String(v).trim().toLowerCase());
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return q.toString();
  }

  async function getJSON(path) {
    const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401) { window.location.reload(); throw new Error("signed out"); }
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  const timeLabel = (iso, step) => {
    const d = new Date(iso);
    if (step === "day") return d.toLocaleDateString(C.lang, { timeZone: C.tz, month: "short", day: "numeric" });
    return d.toLocaleTimeString(C.lang, { timeZone: C.tz, hour: "2-digit", minute: "2-digit" });
  };
  const pct = (x) => `${Math.round(x * 1000) / 10} %`;
  const ageText = (s) => (s < 120 ? `${Math.round(s)} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`);
  const groupName = (g) => (g === "" ? T.no_topic : g);

  function csvDownload(name, header, rows) {
    const cell = (v) => { const s = String(v ?? ""); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };
    const text = [header, ...rows].map((r) => r.map(cell).join(",")).join("\n") + "\n";
    const link = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: `${name}.csv` });
    document.body.append(link); link.click(); link.remove();
  }

  // A table with its own CSV export. columns: [{key, label, num}]
  function table(box, name, columns, rows, caption, exportable = true, empty = T.no_data) {
    box.replaceChildren();
    if (!rows.length) { box.append(el("p", { class: "empty", text: empty })); return; }
    const head = el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.num ? "num" : null, text: c.label })));
    const body = rows.map((r) => el("tr", { class: r._class || null, "data-start": r._start || null },
      columns.map((c) => el("td", { class: c.num ? "num" : null, text: r[c.key] }))));
    const t = el("table", {}, [el("caption", { class: "visually-hidden", text: caption || name }), el("thead", {}, [head]), el("tbody", {}, body)]);
    box.append(el("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-label": caption || name }, [t]));
    if (!exportable) return;
    const exporter = el("button", { type: "button", class: "quiet", text: T.export_csv });
    exporter.addEventListener("click", () => csvDownload(name, columns.map((c) => c.label), rows.map((r) => columns.map((c) => r[c.key]))));
    box.append(exporter);
  }

  // Stacked bars over time, spikes marked; a table view and a CSV export beside it.
  function chart(box, series, keysOf, colorOf, nameOf) {
    const title = box.dataset.title;
    const keys = keysOf(series);
    const buckets = series.buckets;
    const W = 800, H = 220, P = { l: 36, r: 8, t: 22, b: 28 };
    const max = Math.max(1, ...buckets.map((b) => keys.reduce((s, k) => s + (b.values[k] || 0), 0)));
    const bw = (W - P.l - P.r) / Math.max(1, buckets.length);
    const svg = el("svg:svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title });
    svg.append(el("svg:line", { x1: P.l, y1: H - P.b, x2: W - P.r, y2: H - P.b, class: "axis" }));
    svg.append(el("svg:text", { x: 2, y: P.t + 4, text: String(max) }));
    const every = Math.ceil(buckets.length / 8);
    buckets.forEach((b, i) => {
      const x = P.l + i * bw;
      let y = H - P.b;
      const g = el("svg:g", { "data-start": b.start, "data-total": b.total, "data-spike": b.spike ? "true" : null, class: "bucket" });
      g.append(el("svg:title", { text: `${timeLabel(b.start, series.step)}: ${b.total}` }));
      for (const k of keys) {
        const n = b.values[k] || 0;
        if (!n) continue;
        const h = ((H - P.t - P.b) * n) / max;
        y -= h;
        g.append(el("svg:rect", { x: x + 0.5, y, width: Math.max(1, bw - 1), height: h, fill: colorOf(k) }));
      }
      if (b.spike) g.append(el("svg:text", { x: x + bw / 2, y: Math.max(12, y - 4), "text-anchor": "middle", class: "spike-label", text: "▲" }));
      if (i % every === 0) g.append(el("svg:text", { x, y: H - 8, text: timeLabel(b.start, series.step) }));
      svg.append(g);
    });
    const legend = el("ul", { class: "legend" }, keys.map((k) => el("li", {}, [el("i"), nameOf(k)])));
    legend.querySelectorAll("i").forEach((node, i) => { node.style.background = colorOf(keys[i]); });
    if (buckets.some((b) => b.spike)) legend.append(el("li", { class: "spike-key", text: `▲ ${T.spike}` }));
    const tableBox = el("div", { class: "chart-table", hidden: true });
    const columns = [{ key: "time", label: T.time }, ...keys.map((k) => ({ key: `k_${k}`, label: nameOf(k), num: true })), { key: "total", label: T.total, num: true }];
    const rows = buckets.map((b) => {
      const row = { time: timeLabel(b.start, series.step), total: b.total, _start: b.start, _class: b.spike ? "spike" : null };
      for (const k of keys) row[`k_${k}`] = b.values[k] || 0;
      return row;
    });
    table(tableBox, box.id, columns, rows, title, false);  // the chart's own button exports it
    const toggle = el("button", { type: "button", class: "quiet", "aria-expanded": "false", text: T.show_table });
    toggle.addEventListener("click", () => {
      const showTable = tableBox.hidden;
      tableBox.hidden = !showTable; svg.style.display = showTable ? "none" : ""; legend.hidden = showTable;
      toggle.textContent = showTable ? T.show_chart : T.show_table; toggle.setAttribute("aria-expanded", String(showTable));
    });
    const exporter = el("button", { type: "button", class: "quiet", text: T.export_csv });
    exporter.addEventListener("click", () => csvDownload(box.id, columns.map((c) => c.label), rows.map((r) => columns.map((c) => r[c.key]))));
    box.replaceChildren(el("div", { class: "chart-head" }, [el("h3", { text: title }), toggle, exporter]), svg, legend, tableBox);
  }

  const palette = (keys) => { const m = {}; keys.forEach((k, i) => { m[k] = PALETTE[i % PALETTE.length]; }); return (k) => m[k]; };
  const grouped = (v) => ({ step: v.step, buckets: v.buckets.map((b) => ({ start: b.start, total: b.total, spike: b.spike, values: b.groups })) });

  function renderNow(now) {
    state.now = now;
    $("k-messages").textContent = now.messages_last_hour;
    $("k-automatic").textContent = pct(now.automatic_share);
    $("k-queue").textContent = now.agent_queue;
    $("k-sla").textContent = now.sla_breaches;
    state.kill = now.kill_switch.on;
    $("kill-state").textContent = now.kill_switch.on ? `${T.kill_on} (${now.kill_switch.detail || ""})` : T.kill_off;
    $("kill-state").dataset.on = String(now.kill_switch.on);
    const toggle = $("kill-toggle");
    toggle.textContent = now.kill_switch.on ? T.kill_resume : T.kill_pause;
    toggle.className = now.kill_switch.on ? "" : "danger";
    chart($("c-minute"), grouped(now.volume), () => now.volume.groups, palette(now.volume.groups), (k) => k);
    const alertCols = [{ key: "kind", label: T.kind }, { key: "topic", label: T.topic }, { key: "status", label: T.status },
      { key: "age", label: T.age, num: true }, { key: "acknowledged_by", label: T.acknowledged_by }];
    const rows = (list) => list.map((a) => ({ ...a, status: T[`status_${a.status}`] || a.status, age: ageText(a.age_s), acknowledged_by: a.acknowledged_by || "–", _class: a.breach ? "spike" : null }));
    table($("t-alerts"), "alerts", alertCols, rows(now.alerts), T.open_alerts, true, T.none_open);
    table($("t-incidents"), "incidents", alertCols, rows(now.incidents), T.open_incidents, true, T.none_open);
    $("live").textContent = `${T.live} · ${T.updated} ${new Date(now.at).toLocaleTimeString(C.lang)}`;
    $("live").className = "live on";
    if (now.messages_last_hour !== state.lastCount && Date.now() > state.refreshAt && state.view !== "now") {
      state.refreshAt = Date.now() + 5000;
      refresh();
    }
    state.lastCount = now.messages_last_hour;
  }

  function showAlert(alert) {
    const line = el("p", { "data-alert": alert.id, text: `${T.open_alerts}: ${alert.kind} · ${alert.topic}` });
    $("alert-feed").prepend(line);
  }

  async function loadTrends() {
    const by = $("trend-by").value;
    const [volume, topics] = await Promise.all([getJSON(`/dashboard/stats/volume?${query({ by })}`), getJSON(`/dashboard/stats/topics?${query()}`)]);
    chart($("c-volume"), grouped(volume), () => volume.groups, palette(volume.groups), groupName);
    const sentiment = { step: volume.step, buckets: volume.buckets.map((b) => ({ start: b.start, total: b.total, spike: b.spike, values: b.sentiment })) };
    const names = { negative: T.negative, positive: T.positive, neutral: T.neutral };
    chart($("c-sentiment"), sentiment, () => ["negative", "neutral", "positive"], (k) => SENTIMENT[k], (k) => names[k]);
    const cols = [{ key: "topic", label: T.topic }, { key: "count", label: T.count, num: true }, { key: "previous", label: T.previous, num: true }, { key: "growth", label: T.growth, num: true }];
    const named = (list) => list.map((t) => ({ ...t, topic: groupName(t.topic), growth: `×${t.growth}` }));
    table($("t-top"), "top-topics", cols, named(topics.top), T.top_topics);
    table($("t-rising"), "rising-topics", cols, named(topics.rising), T.rising_topics);
    const ccols = [{ key: "topic", label: T.topic }, { key: "at", label: T.time }, { key: "status", label: T.status }];
    table($("t-campaigns"), "campaign-echoes", ccols, topics.campaigns, T.campaign_trends);
  }

  async function loadQuality() {
    const q = await getJSON(`/dashboard/stats/quality?${query()}`);
    $("k-decided").textContent = q.decided;
    $("k-rate").textContent = pct(q.automatic_rate);
    $("k-edited").textContent = q.drafts_edited;
    $("k-corrected").textContent = `${q.corrected.answers_corrected} (${pct(q.corrected.answers_corrected_rate)})`;
    const box = $("c-actions");
    const rows = Object.entries(q.by_action).map(([action, count]) => ({ action, count }));
    table(box, "actions", [{ key: "action", label: T.action }, { key: "count", label: T.count, num: true }], rows, T.actions);
    box.prepend(el("h3", { text: box.dataset.title }));
    const drafts = Object.entries(q.drafts).map(([outcome, count]) => ({ outcome, count }));
    table($("t-drafts"), "drafts", [{ key: "outcome", label: T.outcome }, { key: "count", label: T.count, num: true }], drafts, T.drafts);
    const fixed = Object.entries(q.corrected.answers_corrected_to).map(([action, count]) => ({ action, count }));
    table($("t-corrected"), "corrected-answers", [{ key: "action", label: T.right_action }, { key: "count", label: T.count, num: true }], fixed, T.corrected_to);
    const wait = (s) => (s === null ? "–" : ageText(s));
    const times = q.case_times.map((r) => ({ ...r, priority: T[`priority_${r.priority}`] || r.priority,
      fr50: wait(r.first_response_p50_s), fr90: wait(r.first_response_p90_s), rs50: wait(r.resolution_p50_s), rs90: wait(r.resolution_p90_s) }));
    const tcols = [{ key: "channel", label: T.channel }, { key: "priority", label: T.priority }, { key: "cases", label: T.cases, num: true },
      { key: "responded", label: T.responded, num: true }, { key: "solved", label: T.solved, num: true },
      { key: "fr50", label: T.first_response_p50, num: true }, { key: "fr90", label: T.first_response_p90, num: true },
      { key: "rs50", label: T.resolution_p50, num: true }, { key: "rs90", label: T.resolution_p90, num: true }];
    table($("t-case-times"), "case-times", tcols, times, T.case_times);
  }

  async function loadPeople() {
    const p = await getJSON(`/dashboard/stats/people?${query()}`);
    const cols = [{ key: "author", label: T.author }, { key: "channel", label: T.channel }, { key: "messages", label: T.messages, num: true },
      { key: "positive", label: T.positive, num: true }, { key: "negative", label: T.negative, num: true }, { key: "reach", label: T.reach, num: true },
      { key: "helped", label: T.helped, num: true }];
    table($("t-authors"), "top-authors", cols, p.top_authors, T.top_authors);
    table($("t-complainers"), "repeat-complainers", cols, p.repeat_complainers, T.repeat_complainers);
    table($("t-advocates"), "advocates", cols, p.advocates, T.advocates);
  }

  async function refresh() {
    try {
      if (state.view === "trends") await loadTrends();
      if (state.view === "quality") await loadQuality();
      if (state.view === "people") await loadPeople();
    } catch (err) { console.warn(err); }
  }

  function connect() {
    if (state.stream) state.stream.close();
    const q = new URLSearchParams(query());
    q.delete("span");
    const stream = new EventSource(`/dashboard/events?${q}`);
    stream.addEventListener("now", (e) => renderNow(JSON.parse(e.data)));
    stream.addEventListener("alert", (e) => showAlert(JSON.parse(e.data)));
    stream.addEventListener("error", () => { $("live").textContent = T.offline; $("live").className = "live"; });
    state.stream = stream;
  }

  function show(view) {
    state.view = ["now", "trends", "quality", "people"].includes(view) ? view : "now";
    document.querySelectorAll(".view").forEach((s) => { s.hidden = s.id !== `view-${state.view}`; });
    document.querySelectorAll(".tabs a").forEach((a) => {
      if (a.dataset.view === state.view) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    refresh();
  }

  function confirmKill() {
    const dialog = $("confirm");
    $("confirm-text").textContent = state.kill ? T.kill_confirm_off : T.kill_confirm_on;
    $("confirm-reason").value = "";
    dialog.returnValue = "";
    dialog.showModal();
  }

  async function changeKill() {
    if ($("confirm").returnValue !== "ok") return;
    const response = await fetch("/dashboard/kill-switch", {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Centinela-Dashboard": "1" },
      body: JSON.stringify({ on: !state.kill, reason: $("confirm-reason").value }),
    });
    if (!response.ok) return;
    const flag = await response.json();
    if (state.now) renderNow({ ...state.now, kill_switch: flag });
  }

  for (const [id, values] of [["f-channel", C.channels], ["f-language", C.languages]]) {
    for (const v of values) $(id).append(el("option", { value: v, text: v }));
  }
  $("filters").addEventListener("change", () => { connect(); refresh(); });
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); connect(); refresh(); });
  $("trend-by").addEventListener("change", refresh);
  $("kill-toggle").addEventListener("click", confirmKill);
  $("confirm").addEventListener("close", changeKill);
  window.addEventListener("hashchange", () => show(location.hash.slice(1)));
  show(location.hash.slice(1));
  // The Now view at once from its URL; the stream keeps it current from then on.
  getJSON(`/dashboard/stats/now?${query({ span: "hour" })}`).then((now) => { if (!state.now) renderNow(now); }).catch((err) => console.warn(err));
  connect();
})();
