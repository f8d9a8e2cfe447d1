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
    line: int
    error: str


def read_messages(path: Path) -> tuple[list[LabelledMessage], list[BadLine]]:
    """Every valid line as a message; invalid lines are reported with their line number."""
    good: list[LabelledMessage] = []
    bad: list[BadLine] = []
    for number, line in _lines(path):
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            expect = data.get("expect") or {}
            fields = {k: v for k, v in data.items() if k not in ("expect", "raw")}
            good.append(LabelledMessage(InboundMessage.model_validate(fields), expect))
        except (ValueError, ValidationError) as exc:
            bad.append(BadLine(number, str(exc).splitlines()[0][:300]))
    return good, bad


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line
