"""Reading message files (JSON Lines, FORMATS.md "Messages") for replay, eval and benchmarks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.core.models import InboundMessage


@dataclass(frozen=True, slots=True)
class LabelledMessage:
    """A message and its `expect` labels (empty for unlabelled traffic)."""

    message: InboundMessage
    expect: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that is not a valid message: its number, the first failing field, and why."""

    line: int
    error: str
    field: str | None = None


def read_messages(path: Path) -> tuple[list[LabelledMessage], list[BadLine]]:
    """Every valid line as a message; invalid lines are reported with their line number."""
    good: list[LabelledMessage] = []
    bad: list[BadLine] = []
    for number, line in _lines(path):
        try:
            data = json.loads(line)
        except ValueError as exc:
            bad.append(BadLine(number, f"not valid JSON: {exc}"[:300]))
            continue
        if not isinstance(data, dict):
            bad.append(BadLine(number, "not a JSON object"))
            continue
        expect = data.get("expect") or {}
        fields = {k: v for k, v in data.items() if k not in ("expect", "raw")}
        try:
            good.append(LabelledMessage(InboundMessage.model_validate(fields), expect))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or None
            more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
            bad.append(BadLine(number, f"{first['msg']}{more}"[:300], where))
    return good, bad


def describe(path: Path, line: BadLine) -> str:
    """`file:line: field created_at: Input should be ...`: where to look, what to fix."""
    field = f"field {line.field}: " if line.field else ""
    return f"{path}:{line.line}: {field}{line.error}"


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line
