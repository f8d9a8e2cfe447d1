"""A message's query vector as one row of its chunk's matrix, as a reading helper embedded it.

Why the matrix and not the row alone: a helper embeds a claimed batch's chunk (up to 16 texts)
in one call, and the KB step scores each vector against the KB's chunk vectors and the example
questions. Kept with its chunk, a vector lets the KB step score the whole chunk in one matrix
product per matrix, reading the 320 x 512 chunk vectors and the 955 x 512 examples once per
chunk instead of once per message (`retrieval.kb_decision`). No numpy here: `bot.core` stays
free of it; `np.asarray(row)` is the vector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, eq=False)
class ChunkRow:
    """Row `index` of `matrix` (one unit vector per text of the chunk, in order)."""

    matrix: Any
    index: int

    @property
    def vector(self) -> Any:
        return self.matrix[self.index]

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        return self.vector if dtype is None else self.vector.astype(dtype)
