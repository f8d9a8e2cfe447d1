"""Rule conditions on the learned models: `learned`, `p_min`, `p_max`, and the shipped fallbacks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import DEFAULT_RULES
from bot.core.context import MessageContext
from bot.pipeline.rules import RulesError, load_rules
from tests.conftest import make_message

NOW = datetime(2026, 5, 20, 10, tzinfo=UTC)
ACTIONS = ("answer", "case", "crisis", "agent", "monitor")


def ctx_with(p: dict[str, float] | None = None, **fields: object) -> MessageContext:
    ctx = MessageContext(message=make_message(text="x"), now=NOW, text="x", language="es")
    ctx.model_p = dict(p or {})
    for name, value in fields.items():
        setattr(ctx, name, value)
    return ctx


def model(case: float = 0.0, monitor: float = 0.0, complaint: float = 0.0, **rest: float) -> dict[str, float]:
    p = {a: 0.0 for a in ACTIONS} | {"case": case, "monitor": monitor}
    p |= {"negative": 0.2, "neutral": 0.7, "positive": 0.1, "complaint": complaint}
    return p | rest


def test_p_min_and_p_max_compare_each_named_probability(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        """
rules:
  - {name: sure-case, when: {p_min: {case: 0.6, complaint: 0.5}}, action: case}
  - {name: calm, when: {p_max: {complaint: 0.1}}, action: monitor}
default: agent
""",
        encoding="utf-8",
    )
    rules = load_rules(path)
    assert rules.decide(ctx_with(model(case=0.6, complaint=0.5)))[1] == "sure-case"
    assert rules.decide(ctx_with(model(case=0.59, complaint=0.9)))[1] == "default"
    assert rules.decide(ctx_with(model(case=0.9, complaint=0.05)))[1] == "calm"
    # Without the models neither a floor nor a ceiling holds.
    assert rules.decide(ctx_with())[1] == "default"


def test_unknown_probability_names_fail_at_load_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - name: x\n    when: {p_min: {anger: 0.5}}\n    action: case\n", encoding="utf-8"
    )
    with pytest.raises(RulesError, match=r"rules.yaml:2: rule #1: when.p_min.anger"):
        load_rules(path)


def test_learned_condition_tells_whether_the_models_ran(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - {name: read, when: {learned: true}, action: agent}\n", encoding="utf-8")
    rules = load_rules(path)
    assert rules.decide(ctx_with(model()))[1] == "read"
    assert rules.decide(ctx_with())[1] == "default"


def test_shipped_rules_use_the_models_and_never_monitor_an_unsure_message() -> None:
    rules = load_rules(DEFAULT_RULES)
    assert rules.decide(ctx_with(model(case=0.7)))[:2] == ("case", "model-says-case")
    assert rules.decide(ctx_with(model(monitor=0.8, complaint=0.05, case=0.1)))[:2] == (
        "monitor",
        "model-says-monitor",
    )
    # Torn between case and monitor: a person decides, not a silent monitor.
    assert rules.decide(ctx_with(model(monitor=0.55, case=0.4, complaint=0.3)))[:2] == ("agent", "default")
    # The lexicon-only reading (no KB, so no models) keeps its old fallback.
    assert rules.decide(ctx_with())[:2] == ("monitor", "lexicon-only-chatter")
    # A complaint from the model is a case even with a question mark.
    complaint = ctx_with(model(complaint=0.9), intents=frozenset({"complaint", "question"}))
    assert rules.decide(complaint)[:2] == ("case", "own-service-problem")


def test_lexicon_complaint_words_still_open_a_case_when_the_kb_does_not_answer() -> None:
    rules = load_rules(DEFAULT_RULES)
    worded = ctx_with(model(monitor=0.9, complaint=0.05, case=0.05), intents=frozenset({"complaint_words"}))
    assert rules.decide(worded)[:2] == ("case", "complaint-words")


def test_the_models_crisis_needs_a_negative_reading_and_no_praise_or_joke() -> None:
    """P(crisis) alone also rises on praise and jokes about the brand; those stay out of the war-room."""
    rules = load_rules(DEFAULT_RULES)
    told = ctx_with(model(crisis=0.8), sentiment="negative")
    assert rules.decide(told)[:2] == ("crisis", "model-says-crisis")
    assert rules.decide(ctx_with(model(crisis=0.8), sentiment="positive"))[1] != "model-says-crisis"
    praise = ctx_with(model(crisis=0.8), sentiment="negative", intents=frozenset({"praise"}))
    assert rules.decide(praise)[1] != "model-says-crisis"
    joke = ctx_with(model(crisis=0.8), sentiment="negative", intents=frozenset({"joke"}))
    assert rules.decide(joke)[1] != "model-says-crisis"
    # An own-service complaint the crisis class also likes is a case: the rules decide reach.
    mine = ctx_with(model(crisis=0.53, case=0.45, complaint=0.57), sentiment="negative")
    assert rules.decide(mine)[1] != "model-says-crisis"
    # Torn between crisis and case with no complaint reading either: still not the model's crisis.
    torn = ctx_with(model(crisis=0.53, case=0.45, complaint=0.45), sentiment="negative")
    assert rules.decide(torn)[1] != "model-says-crisis"


def test_an_influential_authors_joke_at_the_brands_expense_is_a_crisis_an_ordinary_one_is_noise() -> None:
    """LABELS.md: jokes at the brand's expense are negative; negative and influential is a crisis."""
    rules = load_rules(DEFAULT_RULES)
    joke = frozenset({"joke"})
    famous = ctx_with(model(monitor=0.95), sentiment="positive", intents=joke)
    famous.author.influential = True
    assert rules.decide(famous)[:2] == ("crisis", "influential-mockery")
    # The same joke from an ordinary account is monitored, and praise from a famous one too.
    assert rules.decide(ctx_with(model(monitor=0.95), sentiment="positive", intents=joke))[:2] == (
        "monitor",
        "noise",
    )
    fan = ctx_with(model(monitor=0.95), sentiment="positive", intents=joke | {"praise"})
    fan.author.influential = True
    assert rules.decide(fan)[1] != "influential-mockery"


def test_praise_the_monitor_model_is_sure_of_is_monitored_despite_a_faint_complaint_reading() -> None:
    rules = load_rules(DEFAULT_RULES)
    praise = ctx_with(model(monitor=0.97, complaint=0.35, case=0.05), intents=frozenset({"praise"}))
    assert rules.decide(praise)[:2] == ("monitor", "model-says-monitor")
    # Still unsure between case and monitor when either the complaint or the case reading is real.
    assert rules.decide(ctx_with(model(monitor=0.97, complaint=0.45, case=0.05)))[:2] == ("agent", "default")
    assert rules.decide(ctx_with(model(monitor=0.7, complaint=0.1, case=0.25)))[:2] == ("agent", "default")


def test_the_reach_reading_action_models_crisis_counts_only_for_influential_public_authors() -> None:
    """The action model reads the author's reach; its crisis stands even on a neutral-reading text."""
    rules = load_rules(DEFAULT_RULES)
    famous = ctx_with(model(crisis=0.9, monitor=0.1), sentiment="neutral")
    famous.author.influential = True
    assert rules.decide(famous)[:2] == ("crisis", "influential-model-crisis")
    unsure = ctx_with(model(crisis=0.45, monitor=0.55), sentiment="neutral")
    unsure.author.influential = True
    assert rules.decide(unsure)[1] != "influential-model-crisis"
    # The same probability for an ordinary author is not this rule's: the reach is the reason.
    ordinary = ctx_with(model(crisis=0.9, monitor=0.1), sentiment="neutral")
    assert rules.decide(ordinary)[1] != "influential-model-crisis"
    private = MessageContext(message=make_message(text="x", channel="email"), now=NOW, text="x")
    private.model_p, private.author.influential = model(crisis=0.9), True
    assert rules.decide(private)[1] != "influential-model-crisis"


def test_an_influential_authors_service_failure_is_a_crisis_however_drily_told() -> None:
    """LABELS.md: influential and negative is a crisis even for an ordinary outage complaint, and
    a failure of the service reported in public is negative toward the brand, whatever the
    sentiment model reads of a dry or ironic telling."""
    rules = load_rules(DEFAULT_RULES)
    failing = frozenset({"complaint_words"})
    famous = ctx_with(model(monitor=0.83, crisis=0.17), sentiment="positive", intents=failing)
    famous.author.influential = True
    assert rules.decide(famous)[:2] == ("crisis", "influential-service-complaint")
    # The same words from an ordinary account are a case; a fan's praise of a fix is not a crisis.
    ordinary = ctx_with(model(monitor=0.83, crisis=0.17), sentiment="positive", intents=failing)
    assert rules.decide(ordinary)[:2] == ("case", "complaint-words")
    fan = ctx_with(model(monitor=0.9), sentiment="positive", intents=failing | {"praise"})
    fan.author.influential = True
    assert rules.decide(fan)[1] != "influential-service-complaint"
    private = MessageContext(message=make_message(text="x", channel="email"), now=NOW, text="x")
    private.model_p, private.author.influential, private.intents = model(monitor=0.9), True, failing
    assert rules.decide(private)[1] != "influential-service-complaint"


def test_a_public_crisis_told_as_plain_facts_is_a_crisis_when_the_model_is_very_sure() -> None:
    """LABELS.md does not ask a safety, discrimination or press crisis to be negative: a refusal
    of service told calmly reads `neutral`, and the action model's sure crisis then decides."""
    rules = load_rules(DEFAULT_RULES)
    calm = ctx_with(model(crisis=0.9, monitor=0.05), sentiment="neutral")
    assert rules.decide(calm)[:2] == ("crisis", "model-says-crisis-told-calmly")
    # Less sure, or a question, a complaint reading, praise, a private channel: not this rule.
    unsure = ctx_with(model(crisis=0.7), sentiment="neutral")
    assert rules.decide(unsure)[1] != "model-says-crisis-told-calmly"
    asked = ctx_with(model(crisis=0.9), sentiment="neutral", intents=frozenset({"question"}))
    assert rules.decide(asked)[1] != "model-says-crisis-told-calmly"
    mine = ctx_with(model(crisis=0.9, complaint=0.6), sentiment="neutral")
    assert rules.decide(mine)[1] != "model-says-crisis-told-calmly"
    fan = ctx_with(model(crisis=0.9), sentiment="neutral", intents=frozenset({"praise"}))
    assert rules.decide(fan)[1] != "model-says-crisis-told-calmly"
    private = MessageContext(message=make_message(text="x", channel="email"), now=NOW, text="x")
    private.model_p, private.sentiment = model(crisis=0.9), "neutral"
    assert rules.decide(private)[0] != "crisis"


def test_a_journalist_writing_privately_goes_to_a_person_not_a_case() -> None:
    """LABELS.md, decision order 2: press makes a crisis in public; in private it is neither a
    crisis nor the writer's own case, whatever complaint words the story carries."""
    rules = load_rules(DEFAULT_RULES)
    mail = MessageContext(message=make_message(text="x", channel="email"), now=NOW, text="x")
    mail.model_p, mail.risks = model(case=0.6, complaint=0.7), frozenset({"press"})
    mail.intents = frozenset({"complaint", "complaint_words"})
    assert rules.decide(mail)[:2] == ("agent", "press-in-private")
    public = MessageContext(message=make_message(text="x", channel="twitter"), now=NOW, text="x")
    public.model_p, public.risks = model(), frozenset({"press"})
    assert rules.decide(public)[:2] == ("crisis", "risk-topic")


def test_a_journalist_who_only_praises_the_service_is_not_a_press_crisis() -> None:
    """LABELS.md's press asks or reports; praise with a job title in it asks and reports nothing."""
    rules = load_rules(DEFAULT_RULES)
    fan = MessageContext(message=make_message(text="x", channel="twitter"), now=NOW, text="x")
    fan.model_p, fan.risks, fan.intents = model(monitor=0.8), frozenset({"press"}), frozenset({"praise"})
    assert rules.decide(fan)[:2] == ("monitor", "praise-from-the-press")
    asking = MessageContext(message=make_message(text="x", channel="twitter"), now=NOW, text="x")
    asking.model_p, asking.risks = model(monitor=0.8), frozenset({"press"})
    asking.intents = frozenset({"praise", "question"})
    assert rules.decide(asking)[:2] == ("crisis", "risk-topic")


def test_the_case_side_look_alike_of_a_kb_topic_is_a_case_even_when_nothing_reads_a_complaint() -> None:
    """A disputed roaming charge asked as a question ("how is it possible I got a bill of 2,300
    for roaming if my plan says the US is like home?"): the KB step withheld the roaming article,
    the complaint model reads no complaint, and it is still a case (LABELS.md: a wrong bill),
    not a question for an agent."""
    rules = load_rules(DEFAULT_RULES)
    disputed = ctx_with(model(complaint=0.2, answer=0.6), intents=frozenset({"question"}))
    disputed.kb_evidence = {"topic": "kb-roaming", "case_side": "disputed-charge"}
    assert rules.decide(disputed)[:2] == ("case", "case-side-of-a-topic")
    asked = ctx_with(model(complaint=0.2, answer=0.6), intents=frozenset({"question"}))
    asked.kb_evidence = {"topic": "kb-roaming"}
    assert rules.decide(asked)[:2] == ("agent", "unanswered-question")
