"""Chunk sizes: small first chunks, then by count (reading only) or by words (with the encoder)."""

from __future__ import annotations

import pytest

from bot.reading.chunk_sizes import CAPPED_WORDS, FIRST_CHUNKS, TEXT_WORDS, count_sizes, word_sizes


@pytest.mark.parametrize("total", [0, 1, 2, 5, 6, 7, 64, 65])
def test_count_sizes_cover_the_batch_small_first(total: int) -> None:
    sizes = count_sizes(total, chunk=8)

    assert sum(sizes) == total and all(0 < size <= 8 for size in sizes)
    assert sizes[:2] == list(FIRST_CHUNKS)[: len(sizes[:2])] or total < sum(FIRST_CHUNKS)
    assert all(size == 8 for size in sizes[2:-1])


def test_a_chunk_cap_below_the_first_sizes_is_kept() -> None:
    assert count_sizes(3, chunk=1) == [1, 1, 1]


def test_word_sizes_hold_each_chunk_within_the_budget() -> None:
    texts = [("palabra " * n).strip() for n in (3, 40, 1, 25, 70, 2, 2, 60, 9, 9, 9, 30, 12, 1, 64, 5)] * 3
    sizes = word_sizes(texts, budget=100, most=16)

    assert sum(sizes) == len(texts)
    start = 0
    for size in sizes:
        chunk = texts[start : start + size]
        start += size
        weight = sum(min(len(t.split()), CAPPED_WORDS) + TEXT_WORDS for t in chunk)
        assert size == 1 or weight <= 100
    assert sizes[:2] == [2, 2], "[3w, 40w] fill the first cap; [1w, 25w] + 70w would pass the budget"


def test_short_texts_fill_up_to_the_most_and_a_long_one_is_alone() -> None:
    short = word_sizes(["hola"] * 40, budget=200, most=16)
    alone = word_sizes(["a " * 300] * 3, budget=50, most=16)

    assert short == [2, 4, 16, 16, 2]
    assert alone == [1, 1, 1], "a text over the budget is a chunk of its own, capped words or not"


def test_the_word_cap_is_the_kb_steps() -> None:
    """`CAPPED_WORDS` mirrors the KB step's cap (not imported there, to keep numpy out)."""
    from retrieval.query_embedding import MAX_WORDS

    assert CAPPED_WORDS == MAX_WORDS
