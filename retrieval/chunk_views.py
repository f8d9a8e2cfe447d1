"""What the KB step reads of a message that numpy can make for its whole chunk at once.

Why: a reading helper embeds a claimed batch's chunk (up to 16 texts) in one call, and the KB
step then decides each message in order. Row by row, the search's per-article evidence, the
nearest example questions, the topic classifier and the three learned models cost about 25
small numpy calls a message, each a few microseconds of call overhead around almost no work
(issue 13: the worker's CPU a message). Here each is one call along the rows of the chunk's
matrices, made at the chunk's first row and kept for the next ones.

The numbers are the row-by-row ones except for the learned models' and the classifier's float64
products, which BLAS sums in another order for a matrix than for one vector (the last bit; the
chunk's float32 scores against the KB and the examples were already made this way). Rankings,
counts and sorts are exact: each row is selected and sorted alone, as before.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from typing import Any

from retrieval.blas import one_blas_thread
from retrieval.kb_classifier import TopicClassifier
from retrieval.knowledge_base import ArticleHit, KnowledgeBase, RowSearch
from retrieval.learned import LearnedModels, Prediction
from retrieval.learned.models import PredictionRows


class ChunkViews:
    """One chunk's query vectors (`matrix`, one row a message) seen by one KB snapshot, its
    classifier and the learned models. What every row needs is made at construction; what only
    some rows need (another search depth, the other reach flag) on first use, for all rows."""

    def __init__(
        self,
        matrix: Any,
        kb: KnowledgeBase,
        classifier: TopicClassifier,
        learned: LearnedModels | None,
        search_k: int,
        *,
        capped: bool = True,
    ) -> None:
        self.matrix = matrix
        self.kb = kb
        self.classifier = classifier
        self._learned = learned
        self._searches: dict[int, RowSearch | None] = {}
        self._predictions: dict[float, PredictionRows] = {}
        # `capped` False: one vector, embedded in a worker thread; its products are too small
        # for BLAS to thread, and the cap is process-wide (a thread must not race the loop's).
        self._capped = capped
        with self._one_blas_thread():  # on two threads BLAS only spins here (`retrieval.blas`)
            self.scores = kb.chunk_scores(matrix)
            self.sims = learned.example_similarities(matrix) if learned is not None else None
            self._classified = classifier.probability_rows(matrix)
            if learned is not None:
                self._predictions[0.0] = learned.predict_rows(matrix, 0.0)
        self._nearest = None if learned is None or self.sims is None else learned.nearest_rows(self.sims)
        self._search(search_k)

    def of(self, matrix: Any, kb: KnowledgeBase, classifier: TopicClassifier) -> bool:
        """Whether these are the views of `matrix` by this snapshot and classifier."""
        return self.matrix is matrix and self.kb is kb and self.classifier is classifier

    def hits(self, row: int, k: int) -> list[ArticleHit]:
        """Row `row`'s `k` best articles (`KnowledgeBase.search_vector` of its vector)."""
        found = self._search(k)
        if found is None:  # not a flat index: the index's own search, one vector at a time
            return self.kb.search_vector(self.matrix[row], k)
        return found.hits(row)

    def nearest(self, row: int) -> list[tuple[str, float]]:
        """Row `row`'s nearest example questions (`LearnedModels.nearest_examples`); [] without."""
        learned = self._learned
        if learned is None:
            return []
        if self._nearest is None or self.sims is None:
            return learned.nearest_examples(self.matrix[row])
        return learned.nearest_at(self.sims, self._nearest, row)

    def probabilities(self, row: int) -> dict[str, float]:
        """Row `row`'s topic probabilities (`TopicClassifier.probabilities`)."""
        return self.classifier.as_dict(self._classified[row])

    def prediction(self, row: int, reach: float) -> Prediction | None:
        """The learned models on row `row` with its author's `reach` flag; None without models."""
        if self._learned is None:
            return None
        rows = self._predictions.get(reach)
        if rows is None:
            with self._one_blas_thread():
                rows = self._predictions[reach] = self._learned.predict_rows(self.matrix, reach)
        return rows.at(row)

    def _one_blas_thread(self) -> AbstractContextManager[object]:
        return one_blas_thread() if self._capped else contextlib.nullcontext()

    def _search(self, k: int) -> RowSearch | None:
        if k not in self._searches:
            self._searches[k] = self.kb.search_rows(self.scores, k) if self.scores is not None else None
        return self._searches[k]
