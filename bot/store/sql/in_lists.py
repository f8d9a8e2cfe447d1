"""`column IN (...)` look-ups as fixed statements: one per column and padded list size.

Why: a statement built per call with its values inside (`column.in_(values)`) costs SQLAlchemy
a cache key over every value and, in the embedded executor, a walk of the compiled shape to
take them out again: about half a millisecond of the event loop's time for a claimed batch's
look-ups, per look-up. Here the values are parameters (`:in0`, `:in1`, ...) of a statement
built once; a list is padded to one of a few sizes by repeating its last value, so each
database sees at most four statement texts per look-up whatever the batch (and keeps them
prepared), and the padding changes no answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.sql import Executable

SIZES = (1, 8, 64, 500)
CHUNK = SIZES[-1]  # the longest list one statement takes; longer ones are split

Build = Callable[[Any], Executable]  # from the `IN` list's bind parameters to the statement


class InLookup:
    """One look-up (`build` given the IN list's parameters), prepared once per padded size."""

    def __init__(self, build: Build) -> None:
        self._build = build
        self._by_size: dict[int, Executable] = {}

    def _statement(self, size: int) -> Executable:
        stmt = self._by_size.get(size)
        if stmt is None:
            stmt = self._by_size[size] = self._build([bindparam(f"in{i}") for i in range(size)])
        return stmt

    def chunks(
        self, values: Sequence[Any], params: dict[str, Any] | None = None
    ) -> Iterator[tuple[Executable, dict[str, Any]]]:
        """The statements and parameters that together ask for every one of `values`."""
        wanted = list(dict.fromkeys(values))
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            size = next(n for n in SIZES if n >= len(chunk))
            padded = chunk + [chunk[-1]] * (size - len(chunk))
            yield self._statement(size), {**(params or {}), **{f"in{i}": v for i, v in enumerate(padded)}}
