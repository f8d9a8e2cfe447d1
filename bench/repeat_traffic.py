"""A bigger backlog from a traffic file: its messages again, with fresh ids, on later days.

`python -m bench.repeat_traffic --messages ../shared/data/traffic.jsonl --total 20000 > FILE`
writes `total` lines: copy k of a message gets the id `<id>~k` and its timestamp moved k days
later (copy 0 is the file as it is), so no copy is deduplicated as a retry of another and the
event-time detectors see separate days, not one burst. Why: the memory target is stated for a
20,000-message backlog, and the real traffic file holds 3,083 messages.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO


def _copy(row: dict[str, Any], k: int) -> dict[str, Any]:
    if k == 0:
        return row
    at = datetime.fromisoformat(row["created_at"].replace("Z", "+00:00")) + timedelta(days=k)
    out = {**row, "id": f"{row['id']}~{k}", "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if row.get("in_reply_to"):
        out["in_reply_to"] = f"{row['in_reply_to']}~{k}"
    return out


def repeat(messages: Path, total: int, out: TextIO) -> int:
    """Writes `total` messages (copies of the file's, in its order, copy after copy)."""
    rows = [json.loads(line) for line in messages.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise SystemExit(f"{messages} holds no message")
    for n in range(total):
        out.write(json.dumps(_copy(rows[n % len(rows)], n // len(rows)), ensure_ascii=False) + "\n")
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=Path, required=True)
    parser.add_argument("--total", type=int, default=20_000)
    args = parser.parse_args()
    repeat(args.messages, args.total, sys.stdout)


if __name__ == "__main__":
    main()
