"""Parts of the `eval` report beyond the action figures: sentiment per language, the errors
with what a person needs to see why, and the readable (non-JSON) output.

Why the errors carry text, probabilities and candidates: an id alone sends the reader to grep
the data set, and the question is always "what did the bot see?" (which rule fired, how sure
each model was, which articles were close), so the report answers it in place.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from bot.cli.traffic import LabelledMessage
from bot.core.models import Decision

SENTIMENTS = ("negative", "neutral", "positive")


def sentiment_by_lang(pairs: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, float | int]]:
    """{lang: {accuracy, macro_f1, support}} from (expected lang, expected, decided) sentiments.

    Macro-F1 averages the F1 of the classes that occur in the expected labels or the decisions
    of that language (a class never expected nor decided carries no information).
    """
    by_lang: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for lang, want, got in pairs:
        by_lang[lang].append((want, got))
    out: dict[str, dict[str, float | int]] = {}
    for lang in sorted(by_lang):
        rows = by_lang[lang]
        labels = sorted({w for w, _ in rows} | {g for _, g in rows})
        f1s = []
        for label in labels:
            tp = sum(w == label and g == label for w, g in rows)
            predicted = sum(g == label for _, g in rows)
            actual = sum(w == label for w, _ in rows)
            precision = tp / predicted if predicted else 0.0
            recall = tp / actual if actual else 0.0
            f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
        out[lang] = {
            "accuracy": round(sum(w == g for w, g in rows) / len(rows), 3),
            "macro_f1": round(sum(f1s) / len(f1s), 3) if f1s else 0.0,
            "support": len(rows),
        }
    return out


def error_entry(item: LabelledMessage, decision: Decision, details: Mapping[str, Any]) -> dict[str, Any]:
    """One misclassified message, with the evidence behind the decision."""
    model_p: Mapping[str, float] = details.get("model_p") or {}
    actions = {k: v for k, v in model_p.items() if k in ("answer", "case", "crisis", "agent", "monitor")}
    top = dict(sorted(actions.items(), key=lambda kv: -kv[1])[:3])
    return {
        "id": item.message.id,
        "text": item.message.text,
        "expected": item.expect.get("action"),
        "got": decision.action,
        "rule": decision.rule,
        "article": decision.article,
        "expected_article": item.expect.get("article"),
        "sentiment": decision.sentiment,
        "expected_sentiment": item.expect.get("sentiment"),
        "intents": decision.intents,
        "risks": decision.risks,
        "top_probabilities": {k: round(v, 3) for k, v in top.items()},
        "complaint": round(model_p["complaint"], 3) if "complaint" in model_p else None,
        "kb": details.get("kb_assessment"),
        "candidates": [{"article": c.article_id, "score": round(c.score, 3)} for c in decision.candidates],
    }


def print_errors(errors: list[dict[str, Any]]) -> None:
    print(f"\nerrors ({len(errors)})")
    for error in errors:
        text = " ".join(str(error["text"]).split())
        print(f"\n  {error['id']}  expected {error['expected']}, got {error['got']} (rule {error['rule']})")
        print(f"    text        {text[:300]}")
        if error["expected_article"] or error["article"]:
            print(f"    article     got {error['article']}, expected {error['expected_article']}")
        probs = ", ".join(f"{k} {v}" for k, v in error["top_probabilities"].items()) or "(no model)"
        print(f"    models      {probs}; complaint {error['complaint']}; sentiment {error['sentiment']}")
        print(f"    signals     intents {error['intents']} risks {error['risks']}")
        candidates = ", ".join(f"{c['article']} {c['score']}" for c in error["candidates"]) or "none"
        print(f"    candidates  {candidates}")


def print_sentiment(by_lang: Mapping[str, Mapping[str, float | int]]) -> None:
    if not by_lang:
        return
    print("\nsentiment by language  accuracy  macro_f1  support")
    for lang, row in by_lang.items():
        print(f"  {lang:<20} {row['accuracy']:>8} {row['macro_f1']:>9} {row['support']:>8}")


def sentiment_counts(pairs: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, int]]:
    """Expected -> decided sentiment counts (all languages)."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for _lang, want, got in pairs:
        table[want][got] += 1
    return {w: {g: table[w][g] for g in SENTIMENTS} for w in SENTIMENTS if w in table}
