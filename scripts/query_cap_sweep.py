"""Decision quality and embedding cost against the per-message word cap of the query vector.

    python scripts/query_cap_sweep.py [--caps 16,24,32,48,64,96,0] > sweep.json

For each cap (0: no cap) the real pipeline (`centinela eval`'s code path, same rules, KB and
learned models) decides train.jsonl and dev.jsonl with query vectors of `capped(text, cap)`,
and the figures of `centinela eval` are reported with how many decisions differ from the
uncapped run. The cost side is measured on ../shared/data/traffic.jsonl (real lengths): the
encoder tokens the cap leaves, and the seconds of one batched embedding of all its texts.

Result (2 Dec 2026; seconds are noisy on this shared machine, tokens are exact):

| cap words | train changed / acc / unsafe | dev changed / acc / unsafe | traffic tokens |
|---|---|---|---|
| none | 0 / 0.926 / 0 | 0 / 0.900 / 0 | 188,711 |
| 96 | 0 / 0.926 / 0 | 0 / 0.900 / 0 | 142,091 |
| 64 | 0 / 0.926 / 0 | 0 / 0.900 / 0 | 129,570 |
| 48 | 1 / 0.924 / 0 | 0 / 0.900 / 0 | 121,498 |
| 32 | 7 / 0.918 / 1 | 0 / 0.900 / 0 | 108,435 |
| 24 | 32 / 0.902 / 2 | 3 / 0.896 / 0 | 98,801 |
| 16 | 90 / 0.852 / 5 | 18 / 0.854 / 1 | 81,882 |
| 8 | 270 / 0.679 / 15 | 67 / 0.708 / 10 | 56,264 |

Train and dev messages are short (at most 62 and 88 words), so caps above 48 are decided by
real traffic's cost alone; 64 is the smallest cap that changes nothing on either set.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli.evaluate import decide_all, score  # noqa: E402
from bot.cli.traffic import read_messages  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.engine.extensions import build_extensions  # noqa: E402
from bot.engine.runtime import build_pipeline  # noqa: E402
from bot.pipeline.pipeline import event_clock  # noqa: E402
from bot.reading.normalise import normalise_text  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402
from retrieval.embedders import UsemEmbedder  # noqa: E402
from retrieval.kb_decision import KbAnalyser  # noqa: E402
from retrieval.query_embedding import QueryEmbedder, capped  # noqa: E402

SHARED = ROOT.parent / "shared"
FIGURES = ("action_accuracy", "unsafe_auto_replies", "sentiment_accuracy")


async def quality(caps: list[int | None], kb_dir: Path) -> list[dict[str, Any]]:
    settings = Settings(reading_processes=0, data_dir=ROOT / "var")
    extensions = build_extensions(settings, kb_dir)
    kb = extensions.kb
    assert isinstance(kb, KbAnalyser)
    sets = {name: read_messages(SHARED / "eval" / f"{name}.jsonl")[0] for name in ("train", "dev")}
    rows: list[dict[str, Any]] = []
    baseline: dict[str, list[tuple[str, str | None]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        store = SqliteStore(Path(scratch) / "sweep.sqlite3")
        await store.open()
        try:
            pipeline = build_pipeline(settings, store, clock=event_clock, extensions=extensions)
            for cap in [None, *[c for c in caps if c is not None]]:
                kb.query_embedder = QueryEmbedder(kb.query_embedder.embedder, max_words=cap)
                for name, items in sets.items():
                    decided = await decide_all(pipeline, items)
                    actions = [(d.action, d.article) for d, _ms, _details in decided]
                    baseline.setdefault(name, actions)
                    result = score(items, decided)
                    answer, per_action = result["answer"], result["per_action"]
                    rows.append(
                        {
                            "cap_words": cap,
                            "set": name,
                            **{figure: result[figure] for figure in FIGURES},
                            "answer_precision": answer["precision"],
                            "answer_coverage": answer["coverage"],
                            "crisis_recall": per_action["crisis"]["recall"],
                            "case_recall": per_action["case"]["recall"],
                            "decisions_changed": sum(
                                a != b for a, b in zip(actions, baseline[name], strict=True)
                            ),
                        }
                    )
        finally:
            await store.close()
    return rows


def cost(caps: list[int | None]) -> list[dict[str, Any]]:
    items, _bad = read_messages(SHARED / "data" / "traffic.jsonl")
    texts = [normalise_text(item.message.text) for item in items]
    embedder = UsemEmbedder()
    tokenizer = embedder._load()._tokenizer  # the encoder's own tokenizer: what its cost grows with
    rows = []
    for cap in [None, *[c for c in caps if c is not None]]:
        kept = [capped(text, cap) for text in texts]
        tokens = sum(len(tokenizer.encode(text, out_type=int)) for text in kept)
        started = time.perf_counter()
        embedder.embed(kept)
        rows.append(
            {
                "cap_words": cap,
                "traffic_tokens": tokens,
                "embed_all_s": round(time.perf_counter() - started, 2),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--caps", default="16,24,32,48,64,96", help="word caps, comma-separated")
    parser.add_argument("--kb", type=Path, default=SHARED / "eval" / "kb")
    args = parser.parse_args(argv)
    caps: list[int | None] = [int(c) or None for c in args.caps.split(",")]
    report = {"quality": asyncio.run(quality(caps, args.kb)), "cost": cost(caps)}
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
