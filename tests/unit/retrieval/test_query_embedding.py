"""Query vectors: identical texts embedded once, and a helper process rebuilds the same embedder."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.embedders import HashingEmbedder, Vectors
from retrieval.query_embedding import QueryEmbedder, capped, embedder_spec, from_spec, unshouted
from tests.unit.retrieval.conftest import CountingEmbedder


def test_identical_texts_are_embedded_once_per_call_and_remembered(counting: CountingEmbedder) -> None:
    embedder = QueryEmbedder(counting)
    texts = ["RT mi factura llegó doble", "otra cosa", "RT mi factura llegó doble"]
    vectors = embedder.embed_texts(texts)
    assert counting.calls == [["RT mi factura llegó doble", "otra cosa"]]
    assert np.array_equal(vectors[0], vectors[2])
    assert np.allclose(vectors, counting.embed(texts))
    counting.calls.clear()
    again = embedder.embed_texts(["otra cosa", "nueva"])
    assert counting.calls == [["nueva"]], "a text seen in an earlier batch is not embedded again"
    assert np.array_equal(again[0], vectors[1])


def test_remembered_texts_are_bounded(counting: CountingEmbedder) -> None:
    embedder = QueryEmbedder(counting, remembered=2)
    embedder.embed_texts(["a a", "b b", "c c"])
    counting.calls.clear()
    embedder.embed_texts(["a a", "c c"])
    assert counting.calls == [["a a"]], "the oldest text was forgotten, the newest kept"


def test_a_helper_rebuilds_the_same_embedder_from_its_spec() -> None:
    original = QueryEmbedder(HashingEmbedder(dim=64, ngram_sizes=(2, 3)))
    assert original.spec is not None
    rebuilt = from_spec(original.spec)
    assert rebuilt.key == original.key
    texts = ["¿Cómo cambio la clave del wifi?", "router roto"]
    assert np.array_equal(rebuilt.embed_texts(texts), original.embed_texts(texts))


class _OwnModel:
    """An embedder a helper process cannot rebuild (like a user's sentence-transformers model)."""

    name = "own-model"
    version = "1"
    dim = 8

    def embed(self, texts: Sequence[str]) -> Vectors:
        return np.full((len(texts), self.dim), 1 / np.sqrt(self.dim), dtype=np.float32)


def test_an_embedder_without_a_spec_stays_in_the_worker() -> None:
    assert embedder_spec(_OwnModel()) is None
    assert QueryEmbedder(_OwnModel()).spec is None


def test_a_long_message_keeps_its_first_and_last_words() -> None:
    text = " ".join(f"w{i}" for i in range(100))
    assert capped(text, 6) == "w0 w1 w2 w97 w98 w99"
    assert capped(text, 5) == "w0 w1 w2 w98 w99"
    assert capped("short  text", 6) == "short  text", "under the cap the text is untouched"
    assert capped(text, None) == text


def test_the_cap_is_part_of_the_key_and_travels_to_helpers(counting: CountingEmbedder) -> None:
    capped_embedder = QueryEmbedder(counting, max_words=4)
    assert capped_embedder.key != QueryEmbedder(counting, max_words=None).key
    capped_embedder.embed_texts(["uno dos tres cuatro cinco seis"])
    assert counting.calls == [["uno dos cinco seis"]]
    assert capped_embedder.spec is not None
    assert from_spec(capped_embedder.spec).key == capped_embedder.key


def test_a_shouted_message_is_embedded_in_sentence_case(counting: CountingEmbedder) -> None:
    embedder = QueryEmbedder(counting)
    embedder.embed_texts(["¿CÓMO CAMBIO LA CLAVE DEL WIFI? NO ME ACUERDO", "Hola, mi WIFI no va"])
    assert counting.calls == [["¿Cómo cambio la clave del wifi? No me acuerdo", "Hola, mi WIFI no va"]]


def test_only_a_text_mostly_in_capitals_counts_as_shouted() -> None:
    shouted = {
        "NÃO TENHO INTERNET HÁ 3 DIAS!!! ALGUÉM ME AJUDA": "Não tenho internet há 3 dias!!! Alguém me ajuda",
        "@ONDANET_MX YA LLEGA LA FIBRA? CÓMO LO CHECO": "@ondanet_mx ya llega la fibra? Cómo lo checo",
    }
    for text, sentence_case in shouted.items():
        assert unshouted(text) == sentence_case
    for kept in ("OK GRACIAS", "Mi router TP-LINK no enciende, ¿qué hago?", "LOS light red since 9am", ""):
        assert unshouted(kept) == kept  # too few letters, or ordinary case with a few capitals
