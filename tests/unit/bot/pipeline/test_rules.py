"""Business rules: first match wins, and a bad file fails at start-up naming file and line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import DEFAULT_RULES
from bot.core.context import AuthorProfile, MessageContext
from bot.core.models import ArticleCandidate
from bot.pipeline.rules import RulesError, load_rules
from tests.conftest import make_message

NOW = datetime(2026, 5, 20, 10, tzinfo=UTC)


def ctx_for(text: str = "hola", **fields: object) -> MessageContext:
    ctx = MessageContext(message=make_message(text=text), now=NOW, text=text, language="es")
    for name, value in fields.items():
        setattr(ctx, name, value)
    return ctx


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_rules_load() -> None:
    rules = load_rules(DEFAULT_RULES)
    assert rules.rules[0].name == "own-accounts"


def test_first_matching_rule_decides() -> None:
    rules = load_rules(DEFAULT_RULES)
    own = ctx_for(author=AuthorProfile(own_account=True), risks=frozenset({"legal"}))
    assert rules.decide(own)[:2] == ("monitor", "own-accounts")
    risky = ctx_for(risks=frozenset({"safety"}), intents=frozenset({"complaint"}))
    assert rules.decide(risky)[:2] == ("crisis", "risk-topic")
    assert rules.decide(ctx_for(intents=frozenset({"complaint"})))[0] == "case"
    assert rules.decide(ctx_for())[:2] == ("monitor", "lexicon-only-chatter")


def test_steps_already_followed_and_still_failing_is_a_case_even_when_the_kb_answers() -> None:
    """LABELS.md, decision order 3: the article would repeat what the customer already tried."""
    rules = load_rules(DEFAULT_RULES)
    article = ArticleCandidate(article_id="kb-router-reset-pt", topic="kb-router-reset", lang="pt")
    tried = ctx_for(intents=frozenset({"already_tried", "complaint_words", "question"}), kb_answer=article)
    assert rules.decide(tried)[:2] == ("case", "tried-and-still-failing")
    asking = ctx_for(intents=frozenset({"already_tried", "question"}), kb_answer=article)
    assert rules.decide(asking)[:2] == ("answer", "kb-answer")


def test_influential_negative_is_crisis_only_in_public() -> None:
    rules = load_rules(DEFAULT_RULES)
    public = ctx_for(author=AuthorProfile(influential=True), sentiment="negative")
    assert rules.decide(public)[0] == "crisis"
    private = ctx_for(author=AuthorProfile(influential=True), sentiment="negative")
    private.message = make_message(channel="whatsapp")
    assert rules.decide(private)[0] != "crisis"


def test_conditions_cover_keywords_regex_followers_and_kb_confidence(tmp_path: Path) -> None:
    rules = load_rules(
        write(
            tmp_path,
            """
rules:
  - name: vip
    when: {followers_min: 1000, keywords_any: [Factura]}
    action: agent
  - name: order-number
    when: {regex: "pedido\\\\s+\\\\d{5}"}
    action: case
  - name: sure
    when: {kb_confidence_min: 0.8, language: [es]}
    action: answer
default: monitor
""",
        )
    )
    assert rules.decide(ctx_for("mi factura"))[0] == "monitor"  # 120 followers
    vip = ctx_for("mi FACTURA")
    vip.message = make_message(followers=5000)
    assert rules.decide(vip)[0] == "agent"
    assert rules.decide(ctx_for("el pedido 12345 no llega"))[0] == "case"
    assert rules.decide(ctx_for(kb_confidence=0.9))[0] == "answer"
    assert rules.decide(ctx_for(kb_confidence=0.5))[0] == "monitor"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("rules:\n  - name: a\n    action: answer\n  - name: b\n    action: shout\n", 4, "action"),
        ("rules:\n  - name: a\n    action: case\n    when: {colour: red}\n", 2, "colour"),
        ("rules:\n  - name: a\n    action: case\n  - name: a\n    action: agent\n", 4, "duplicate"),
        ("rules:\n  - name: a\n    when: {regex: '('}\n    action: case\n", 2, "regex"),
        ("rules: [\n  - name: a\n", 2, "YAML"),
        ("just: text\n", 1, "rules"),
    ],
)
def test_bad_rules_file_names_file_line_and_reason(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as error:
        load_rules(path)
    message = str(error.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert words in message
