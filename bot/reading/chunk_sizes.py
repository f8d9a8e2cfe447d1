"""How a claimed batch is cut into chunks for the reading helpers: by count, or by words with the KB on.

Why chunks at all: a helper answers a chunk in one frame, and with the KB on embeds it in one
encoder call, which costs a fraction per text of one call per text. Why small first chunks: the
worker needs the batch's first readings at once. Why by words when the helper embeds: a
decision waits for its whole chunk, and the encoder's time for a chunk grows with its words,
so a fixed count of 8 made the chunks holding long complaints the slowest, and their first
message's wait the decision latency's tail. Cut at a word budget instead, each chunk costs
about the same. On `traffic.jsonl` (3,083 texts, capped as the KB step caps them, one process):
chunks of 8 took p50 14.2 / p99 23.7 ms of encoder CPU, chunks of at most `WORD_BUDGET`
weighted words (and `MOST` texts) p50 11.9 / p99 15.5 ms, at the same CPU per text (1.86 ms).
"""

from __future__ import annotations

from collections.abc import Sequence

# Texts per chunk when the helpers only read (no encoder): reading costs little per text.
CHUNK = 8
# The first chunks of a batch are smaller still, because the worker needs them at once.
FIRST_CHUNKS = (2, 4)
# With the encoder: words per chunk (a text weighs its words, capped, plus a fixed cost) and
# at most this many texts (short texts gain nothing from bigger encoder batches past it).
WORD_BUDGET = 200
MOST = 16
# The KB step embeds at most the first and last 32 words (`retrieval.query_embedding.MAX_WORDS`,
# not imported: a worker without the KB must not load numpy for this).
CAPPED_WORDS = 64
# What one text costs the encoder beyond its words (its start and end tokens, its own rows).
TEXT_WORDS = 4


def count_sizes(total: int, chunk: int = CHUNK) -> list[int]:
    """Chunk sizes for `total` texts: the `FIRST_CHUNKS`, then `chunk` each (the last one less)."""
    return _cut([0] * total, budget=0, most=chunk)


def word_sizes(texts: Sequence[str], budget: int = WORD_BUDGET, most: int = MOST) -> list[int]:
    """Chunk sizes for `texts` with the encoder on: each chunk within `budget` weighted words.

    A text heavier than the budget gets a chunk of its own; the first chunks keep the
    `FIRST_CHUNKS` counts as caps, the rest `most`.
    """
    weights = [min(len(text.split()), CAPPED_WORDS) + TEXT_WORDS for text in texts]
    return _cut(weights, budget=budget, most=most)


def _cut(weights: Sequence[int], *, budget: int, most: int) -> list[int]:
    """Consecutive sizes covering `weights`: chunk i holds at most `FIRST_CHUNKS[i]` items, later
    ones `most`, none more than `most`; with `budget` > 0, at most `budget` weight unless one item."""
    caps = [min(cap, most) for cap in FIRST_CHUNKS]
    sizes: list[int] = []
    size = weight = 0
    for item in weights:
        cap = caps[len(sizes)] if len(sizes) < len(caps) else most
        if size and (size >= cap or (budget > 0 and weight + item > budget)):
            sizes.append(size)
            size = weight = 0
        size += 1
        weight += item
    if size:
        sizes.append(size)
    return sizes
