"""Turn messages labelled `label: "sentiment:<x>"` into an eval set with `expect.sentiment`.

    python scripts/sentiment_set.py ../shared/data/traffic.jsonl > var/airline_sentiment.jsonl
    centinela eval --kb ../shared/eval/kb --messages var/airline_sentiment.jsonl --json

For measuring only: the airline tweets are the external test set and are never fitted on.
The language comes from the line's `lang_hint`; only `en` and `es` lines are kept (the two
languages the airline sets were labelled in: 395 en, 505 es). A label may carry more fields
after `;` (`sentiment:negative;negativereason:...`): only the sentiment is kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    for line in Path(args[0]).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        message = json.loads(line)
        label, lang = str(message.get("label") or ""), message.get("lang_hint")
        if not label.startswith("sentiment:") or lang not in ("en", "es"):
            continue
        message.pop("label")
        sentiment = label.split(":", 1)[1].split(";", 1)[0]
        message["expect"] = {"sentiment": sentiment, "lang": lang}
        print(json.dumps(message, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
