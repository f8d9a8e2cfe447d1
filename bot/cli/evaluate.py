"""`centinela eval`: the real decision pipeline over a labelled set, scored as FORMATS.md says.

Nothing is published and no guard that depends on wall-clock history (thread or author caps)
runs: eval measures the decisions, not the rate limits. Each message is decided on its own
clock, as in a replay.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from typing import Any

from bot.cli.eval_report import error_entry, sentiment_by_lang, sentiment_counts
from bot.cli.replay import percentile
from bot.cli.traffic import LabelledMessage
from bot.core.models import ACTIONS, Decision
from bot.pipeline.pipeline import Pipeline


def _topic(article: str | None) -> str | None:
    if not article:
        return None
    head, _, tail = article.rpartition("-")
    return head if len(tail) == 2 and head else article


Decided = tuple[Decision, float, dict[str, Any]]


async def decide_all(pipeline: Pipeline, items: list[LabelledMessage]) -> list[Decided]:
    """(decision, latency ms, evidence for the error report) per message, in order."""
    results: list[Decided] = []
    for item in items:
        started = time.perf_counter()
        ctx = await pipeline.analyse(item.message)
        decision = pipeline.route(ctx, started)
        details = {"model_p": dict(ctx.model_p), "kb_assessment": ctx.kb_evidence or None}
        results.append((decision, (time.perf_counter() - started) * 1000, details))
    return results


def score(items: list[LabelledMessage], results: list[Decided]) -> dict[str, Any]:
    """The `eval --json` object of FORMATS.md (plus a lenient topic-level answer figure).

    Lines without an `action` (sets labelled with sentiment only) count for the language and
    sentiment figures alone.
    """
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    lang_ok = sentiment_ok = labelled_lang = labelled_sentiment = 0
    auto = correct = correct_topic = expected_answers = 0
    errors: list[dict[str, Any]] = []
    sentiments: list[tuple[str, str, str]] = []
    for item, (decision, _latency, details) in zip(items, results, strict=True):
        expect = item.expect
        want = expect.get("action")
        if want:
            confusion[want][decision.action] += 1
        if expect.get("lang"):
            labelled_lang += 1
            lang_ok += decision.language == expect["lang"]
        if expect.get("sentiment"):
            labelled_sentiment += 1
            sentiment_ok += decision.sentiment == expect["sentiment"]
            sentiments.append(
                (expect.get("lang") or decision.language, expect["sentiment"], decision.sentiment)
            )
        expected_answers += want == "answer"
        if decision.action == "answer":
            auto += 1
            right = want == "answer" and decision.article == expect.get("article")
            correct += right
            correct_topic += want == "answer" and _topic(decision.article) == _topic(expect.get("article"))
        if want and (
            want != decision.action or (want == "answer" and decision.article != expect.get("article"))
        ):
            errors.append(error_entry(item, decision, details))
    total = sum(sum(row.values()) for row in confusion.values())
    hits = sum(confusion[a][a] for a in confusion)
    per_action = {}
    for action in ACTIONS:
        predicted = sum(confusion[w][action] for w in confusion)
        support = sum(confusion[action].values())
        per_action[action] = {
            "precision": round(confusion[action][action] / predicted, 3) if predicted else 0.0,
            "recall": round(confusion[action][action] / support, 3) if support else 0.0,
            "support": support,
        }
    latencies = [latency for _d, latency, _x in results]
    return {
        "messages": len(items),
        "action_accuracy": round(hits / total, 3) if total else 0.0,
        "per_action": per_action,
        "answer": {
            "auto_answered": auto,
            "correct_article": correct,
            "correct_topic": correct_topic,
            "precision": round(correct / auto, 3) if auto else 0.0,
            "coverage": round(correct / expected_answers, 3) if expected_answers else 0.0,
        },
        "unsafe_auto_replies": auto - correct,
        "lang_accuracy": round(lang_ok / labelled_lang, 3) if labelled_lang else 0.0,
        "sentiment_accuracy": round(sentiment_ok / labelled_sentiment, 3) if labelled_sentiment else 0.0,
        "sentiment_by_lang": sentiment_by_lang(sentiments),
        "sentiment_confusion": sentiment_counts(sentiments),
        "confusion": {
            want: {got: confusion[want][got] for got in ACTIONS} for want in ACTIONS if want in confusion
        },
        "latency_ms": {
            "p50": round(percentile(latencies, 0.5), 3),
            "p99": round(percentile(latencies, 0.99), 3),
        },
        "errors": errors,
    }
