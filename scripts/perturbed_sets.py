"""Copies of a labelled set as other writers type it: how robust the decisions are to the surface.

    python scripts/perturbed_sets.py ../shared/eval/dev.jsonl var/perturbed
    centinela eval --kb ../shared/eval/kb --messages var/perturbed/upper.jsonl --json

Each output file is the set with every text changed one way; labels stay (none of these changes
what a message asks). `upper`: all in capitals; `lower`: all in lower case; `unmarked`: no `?`
or `¿`; `unaccented`: no accents (ñ kept); `typos`: about one long word in seven with two
letters swapped (seeded). For measuring only: never fitted on.
"""

from __future__ import annotations

import json
import random
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

SEED = 7


def _unaccented(text: str) -> str:
    return "".join(c if c in "ñÑ" else unicodedata.normalize("NFD", c)[0] for c in text)


def _typos(rng: random.Random) -> Callable[[str], str]:
    def swap(text: str) -> str:
        words = text.split(" ")
        for i, word in enumerate(words):
            if len(word) > 4 and rng.random() < 0.15:
                j = rng.randrange(1, len(word) - 2)
                words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        return " ".join(words)

    return swap


def perturbations() -> dict[str, Callable[[str], str]]:
    return {
        "upper": str.upper,
        "lower": str.lower,
        "unmarked": lambda t: t.replace("?", "").replace("¿", ""),
        "unaccented": _unaccented,
        "typos": _typos(random.Random(SEED)),
    }


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, out = Path(args[0]), Path(args[1])
    out.mkdir(parents=True, exist_ok=True)
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    for name, change in perturbations().items():
        lines = [json.dumps({**row, "text": change(row["text"])}, ensure_ascii=False) for row in rows]
        (out / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
