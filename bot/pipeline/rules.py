"""Business rules: an ordered YAML list, the first match decides the action.

Why a file and not code: the people who decide what reaches the CRM or the war-room are not
the people who deploy the service. A bad file must fail at start-up with the file, the line and
the reason, never at 3 a.m. on the first message that reaches the broken rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from bot.core.context import MessageContext
from bot.core.models import Action, Channel, Sentiment
from bot.core.yaml_loader import SAFE_LOADER

# What the learned models (`retrieval/learned`) put in `MessageContext.model_p`.
ModelOutput = Literal[
    "answer", "case", "crisis", "agent", "monitor", "negative", "neutral", "positive", "complaint"
]


class RulesError(ValueError):
    """The rules file cannot be used; the message names the file, the line and the reason."""


class Conditions(BaseModel):
    """Every condition given must hold; an absent condition is not checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: list[Channel] | None = None
    public: bool | None = None
    language: list[str] | None = None
    own_account: bool | None = None
    bot: bool | None = None
    echo: bool | None = None
    influential: bool | None = None
    verified: bool | None = None
    known_customer: bool | None = None
    followers_min: int | None = None
    followers_max: int | None = None
    sentiment: list[Sentiment] | None = None
    intent_any: list[str] | None = None
    intent_all: list[str] | None = None
    intent_none: list[str] | None = None
    risk: bool | None = Field(None, description="true: any risk topic was found")
    risk_any: list[str] | None = None
    keywords_any: list[str] | None = None
    regex: str | None = None
    kb_confidence_min: float | None = None
    kb_confidence_max: float | None = None
    kb_answerable: bool | None = Field(None, description="the KB step found an article it is sure of")
    kb_case_side: bool | None = Field(
        None, description="the KB step withheld its article: the case-side look-alike of its topic"
    )
    incident: bool | None = Field(None, description="the message belongs to an open incident")
    learned: bool | None = Field(None, description="the learned models read the message")
    self_identification: bool | None = Field(
        None, description="a private message offering a contract number, an e-mail or its code"
    )
    personal_data: bool | None = Field(None, description="shows a contract number or an e-mail address")
    p_min: dict[ModelOutput, float] | None = Field(None, description="learned probability >= value, each")
    p_max: dict[ModelOutput, float] | None = Field(None, description="learned probability <= value, each")
    _checks: tuple[Callable[[MessageContext], bool], ...] = PrivateAttr(default=())

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regex {value!r}: {exc}") from exc
        return value

    def model_post_init(self, context: Any, /) -> None:
        self._checks = self._compile()

    def matches(self, ctx: MessageContext) -> bool:
        return all(check(ctx) for check in self._checks)

    def checks(self) -> tuple[Check, ...]:
        """The compiled predicates; all must hold."""
        return self._checks

    def _compile(self) -> tuple[Check, ...]:
        """One predicate per condition given, built once: every message runs every rule."""
        checks: list[Check] = []
        for name, equals in _FLAGS.items():
            want = getattr(self, name)
            if want is not None:
                checks.append(equals(want))
        for name, one_of in _MEMBERSHIP.items():
            allowed = getattr(self, name)
            if allowed is not None:
                checks.append(one_of(frozenset(allowed)))
        if self.followers_min is not None:
            low = self.followers_min
            checks.append(lambda ctx: (ctx.message.author.followers or 0) >= low)
        if self.followers_max is not None:
            high = self.followers_max
            checks.append(lambda ctx: (ctx.message.author.followers or 0) <= high)
        if self.intent_any is not None:
            any_of = frozenset(self.intent_any)
            checks.append(lambda ctx: not ctx.intents.isdisjoint(any_of))
        if self.intent_all is not None:
            all_of = frozenset(self.intent_all)
            checks.append(lambda ctx: ctx.intents.issuperset(all_of))
        if self.intent_none is not None:
            none_of = frozenset(self.intent_none)
            checks.append(lambda ctx: ctx.intents.isdisjoint(none_of))
        if self.risk_any is not None:
            risks = frozenset(self.risk_any)
            checks.append(lambda ctx: not ctx.risks.isdisjoint(risks))
        if self.keywords_any is not None:
            words = tuple(word.casefold() for word in self.keywords_any)
            checks.append(lambda ctx: _has_any(ctx.text, words))
        if self.regex is not None:
            pattern = re.compile(self.regex, re.IGNORECASE)
            checks.append(lambda ctx: pattern.search(ctx.text) is not None)
        if self.kb_confidence_min is not None:
            floor = self.kb_confidence_min
            checks.append(lambda ctx: _confidence(ctx) >= floor)
        if self.kb_confidence_max is not None:
            ceiling = self.kb_confidence_max
            checks.append(lambda ctx: _confidence(ctx) <= ceiling)
        checks.extend(_probability_checks(self.p_min, self.p_max))
        return tuple(checks)


Check = Callable[[MessageContext], bool]

# Yes/no conditions: the rule holds only where the message's value equals the one asked for.
# Each entry builds the check itself (`want` → predicate) rather than wrapping a reader: every
# message runs every rule's checks, and a reader called from a wrapper is a second Python call
# per check (about half the rule step's calls on the sample traffic).
_FLAGS: dict[str, Callable[[bool], Check]] = {
    "public": lambda want: lambda ctx: ctx.public == want,
    "own_account": lambda want: lambda ctx: ctx.author.own_account == want,
    "bot": lambda want: lambda ctx: ctx.author.bot == want,
    "echo": lambda want: lambda ctx: ctx.echo == want,
    "influential": lambda want: lambda ctx: ctx.author.influential == want,
    "verified": lambda want: lambda ctx: ctx.message.author.verified == want,
    "known_customer": lambda want: lambda ctx: ctx.author.known_customer == want,
    "kb_answerable": lambda want: lambda ctx: (ctx.kb_answer is not None) == want,
    "kb_case_side": lambda want: lambda ctx: ("case_side" in ctx.kb_evidence) == want,
    "incident": lambda want: lambda ctx: (ctx.incident_id is not None) == want,
    "risk": lambda want: lambda ctx: bool(ctx.risks) == want,
    "learned": lambda want: lambda ctx: bool(ctx.model_p) == want,
    "self_identification": lambda want: lambda ctx: (ctx.self_id is not None) == want,
    "personal_data": lambda want: lambda ctx: ctx.personal_data == want,
}
# One-of conditions: the message's value must be among those listed (built the same way).
_MEMBERSHIP: dict[str, Callable[[frozenset[str]], Check]] = {
    "channel": lambda allowed: lambda ctx: ctx.message.channel in allowed,
    "language": lambda allowed: lambda ctx: ctx.language in allowed,
    "sentiment": lambda allowed: lambda ctx: ctx.sentiment in allowed,
}


def _probability_checks(
    p_min: dict[ModelOutput, float] | None, p_max: dict[ModelOutput, float] | None
) -> list[Check]:
    """`p_min`/`p_max` on the learned models' outputs. Without the models they never hold:
    a rule written for a probability must not fire on a message the models did not read."""
    checks: list[Check] = [_at_least(name, floor) for name, floor in (p_min or {}).items()]
    checks.extend(_at_most(name, ceiling) for name, ceiling in (p_max or {}).items())
    return checks


def _at_least(name: str, floor: float) -> Check:
    return lambda ctx: name in ctx.model_p and ctx.model_p[name] >= floor


def _at_most(name: str, ceiling: float) -> Check:
    return lambda ctx: name in ctx.model_p and ctx.model_p[name] <= ceiling


def _has_any(text: str, casefolded_words: tuple[str, ...]) -> bool:
    lowered = text.casefold()
    return any(word in lowered for word in casefolded_words)


def _confidence(ctx: MessageContext) -> float:
    return ctx.kb_confidence if ctx.kb_confidence is not None else 0.0


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    when: Conditions = Field(default_factory=Conditions)
    action: Action
    reason: str = ""
    # `crm: false`: a case this rule opens stays local (e.g. outage complaints linked to an
    # incident) until someone escalates it.
    crm: bool = True


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[Rule]
    default: Action = "monitor"
    # (checks, action, name, reason) per rule, in order: what `decide` walks for every message.
    _plan: tuple[tuple[tuple[Check, ...], Action, str, str], ...] = PrivateAttr(default=())

    def model_post_init(self, context: Any, /) -> None:
        self._plan = tuple(
            (rule.when.checks(), rule.action, rule.name, rule.reason or rule.name) for rule in self.rules
        )

    def local_rules(self) -> frozenset[str]:
        """Names of the rules whose cases do not reach the CRM."""
        return frozenset(rule.name for rule in self.rules if not rule.crm)

    def decide(self, ctx: MessageContext) -> tuple[Action, str, str]:
        """(action, rule name, reason) of the first rule that matches, else the default."""
        for checks, action, name, reason in self._plan:
            for check in checks:  # a plain loop: no generator per rule and message
                if not check(ctx):
                    break
            else:
                return action, name, reason
        return self.default, "default", "no rule matched"


def load_rules(path: Path) -> RuleSet:
    """Parse and validate a rules file; errors name the file, the line and the reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{path}: cannot read rules file: {exc}") from exc
    try:
        node = yaml.compose(text, Loader=SAFE_LOADER)
        data = yaml.load(text, Loader=SAFE_LOADER)  # a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise RulesError(f"{path}{where}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RulesError(f"{path}:1: expected a mapping with a 'rules' list")
    lines = _rule_lines(node)
    names: set[str] = set()
    rules: list[Rule] = []
    for index, raw in enumerate(data["rules"]):
        line = lines[index] if index < len(lines) else 1
        try:
            rule = Rule.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "rule"
            raise RulesError(f"{path}:{line}: rule #{index + 1}: {where}: {first['msg']}") from exc
        if rule.name in names:
            raise RulesError(f"{path}:{line}: rule #{index + 1}: duplicate rule name {rule.name!r}")
        names.add(rule.name)
        rules.append(rule)
    try:
        return RuleSet(rules=rules, default=data.get("default", "monitor"))
    except ValidationError as exc:
        raise RulesError(f"{path}: default: {exc.errors()[0]['msg']}") from exc


def _rule_lines(node: yaml.Node | None) -> list[int]:
    """1-based line of each item of the top-level `rules` sequence."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == "rules" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []
