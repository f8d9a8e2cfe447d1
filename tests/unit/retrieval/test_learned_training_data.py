"""The sentiment training rows: what the fit sees versus what the figures are scored on.

Why: calm case reports are relabelled `negative` for the fit only (issue 10); a figure scored
on the relabelled rows would grade the model on labels nobody wrote.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import yaml

from scripts import learned_data
from scripts.learned_data import Dataset, Row, sentiment_rows


def message(action: str, sentiment: str) -> dict[str, Any]:
    return {"id": f"{action}-{sentiment}", "expect": {"action": action, "sentiment": sentiment}}


def row(action: str, sentiment: str, origin: str = "train") -> Row:
    raw = message(action, sentiment)
    return Row("text", origin, {"sentiment": sentiment}, raw=raw)


def test_calm_case_reports_are_fitted_negative_but_scored_as_written() -> None:
    rows = [
        row("case", "neutral"),
        row("answer", "neutral"),
        row("case", "negative"),
        row("monitor", "positive"),
        row("case", "neutral", origin="dev"),
    ]
    data = Dataset(rows, np.zeros((len(rows), 4)), "test")
    _x, fitted, _w, _origin = data.task("sentiment")
    assert learned_data.CALM_CASE_LABEL == "negative"
    assert fitted.tolist() == ["negative", "neutral", "negative", "positive", "negative"]
    assert data.truth("sentiment").tolist() == ["neutral", "neutral", "negative", "positive", "neutral"]


def test_tweet_examples_are_plain_texts_that_teach_sentiment_only() -> None:
    rows = sentiment_rows("tweets.yaml", praise_is_no_complaint=False)
    assert rows and all(isinstance(r.text, str) and r.text.strip() for r in rows)
    assert {r.labels["sentiment"] for r in rows} == {"negative", "neutral", "positive"}
    assert all(set(r.labels) == {"sentiment"} for r in rows)
    praise = sentiment_rows("sentiment.yaml", praise_is_no_complaint=True)
    assert all(r.labels.get("complaint") == "no" for r in praise if r.labels["sentiment"] == "positive")


def test_influential_example_files_train_the_action_model_with_the_reach_flag() -> None:
    rows = [r for r in learned_data.example_rows() if r.source in learned_data.REACH_FILES]
    assert {r.source for r in rows} == {"reach.yaml", "safe10.yaml"}
    assert all(set(r.labels) == {"action"} and r.reach == 1.0 for r in rows)
    # Crises told as facts or irony, and the neutral news and calm reports that are not crises.
    safe10 = {r.labels["action"] for r in rows if r.source == "safe10.yaml"}
    assert safe10 == {"crisis", "monitor", "case"}


def test_spanish_consumer_posts_are_a_check_set_never_fitted_and_balanced() -> None:
    # Ninth round: fitted, the file lowered the cross-validated sentiment figures, so it is a
    # check set. A check set is only worth its figure if no fitted row repeats it, if it is
    # balanced (macro-F1 over a lopsided set says little about the rare class) and if it is
    # mostly Spanish, the language it is there to measure.
    assert "sentiment_es.yaml" in learned_data.CHECK_FILES
    assert "sentiment_es.yaml" not in learned_data.SENTIMENT_ONLY_FILES + learned_data.SENTIMENT_FILES
    fitted = {r.text for r in learned_data.example_rows()}
    assert fitted and not any(r.source == "sentiment_es.yaml" for r in learned_data.example_rows())
    rows = sentiment_rows("sentiment_es.yaml", praise_is_no_complaint=False)
    assert not {r.text for r in rows} & fitted
    assert len({r.text for r in rows}) == len(rows)
    counts = {
        label: sum(r.labels["sentiment"] == label for r in rows)
        for label in ("negative", "neutral", "positive")
    }
    assert min(counts.values()) >= 0.25 * len(rows), counts
    by_lang = yaml.safe_load((learned_data.EXAMPLES / "sentiment_es.yaml").read_text(encoding="utf-8"))
    sizes = {lang: sum(len(texts) for texts in by_label.values()) for lang, by_label in by_lang.items()}
    assert set(sizes) == {"es", "pt", "en"} and sizes["es"] >= 0.7 * sum(sizes.values()), sizes
