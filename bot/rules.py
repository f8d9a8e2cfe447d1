"""Business rules: an ordered YAML list, the first match decides the action.

Why a file and not code: the people who decide what reaches the CRM or the war-room are not
the people who deploy the service. A bad file must fail at start-up with the file, the line and
the reason, never at 3 a.m. on the first message that reaches the broken rule.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.context import MessageContext
from bot.models import Action, Channel, Sentiment


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
    incident: bool | None = Field(None, description="the message belongs to an open incident")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regex {value!r}: {exc}") from exc
        return value

    def matches(self, ctx: MessageContext) -> bool:
        msg = ctx.message
        checks: list[tuple[Any, Any]] = [
            (self.public, ctx.public),
            (self.own_account, ctx.author.own_account),
            (self.bot, ctx.author.bot),
            (self.echo, ctx.echo),
            (self.influential, ctx.author.influential),
            (self.verified, msg.author.verified),
            (self.known_customer, ctx.author.known_customer),
            (self.kb_answerable, ctx.kb_answer is not None),
            (self.incident, ctx.incident_id is not None),
            (self.risk, bool(ctx.risks)),
        ]
        if any(want is not None and want != have for want, have in checks):
            return False
        if self.channel is not None and msg.channel not in self.channel:
            return False
        if self.language is not None and ctx.language not in self.language:
            return False
        if self.sentiment is not None and ctx.sentiment not in self.sentiment:
            return False
        followers = msg.author.followers or 0
        if self.followers_min is not None and followers < self.followers_min:
            return False
        if self.followers_max is not None and followers > self.followers_max:
            return False
        if self.intent_any is not None and not ctx.intents.intersection(self.intent_any):
            return False
        if self.intent_all is not None and not ctx.intents.issuperset(self.intent_all):
            return False
        if self.intent_none is not None and ctx.intents.intersection(self.intent_none):
            return False
        if self.risk_any is not None and not ctx.risks.intersection(self.risk_any):
            return False
        if self.keywords_any is not None:
            lowered = ctx.text.casefold()
            if not any(word.casefold() in lowered for word in self.keywords_any):
                return False
        if self.regex is not None and re.search(self.regex, ctx.text, re.IGNORECASE) is None:
            return False
        confidence = ctx.kb_confidence if ctx.kb_confidence is not None else 0.0
        if self.kb_confidence_min is not None and confidence < self.kb_confidence_min:
            return False
        return not (self.kb_confidence_max is not None and confidence > self.kb_confidence_max)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    when: Conditions = Field(default_factory=Conditions)
    action: Action
    reason: str = ""


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[Rule]
    default: Action = "monitor"

    def decide(self, ctx: MessageContext) -> tuple[Action, str, str]:
        """(action, rule name, reason) of the first rule that matches, else the default."""
        for rule in self.rules:
            if rule.when.matches(ctx):
                return rule.action, rule.name, rule.reason or rule.name
        return self.default, "default", "no rule matched"


def load_rules(path: Path) -> RuleSet:
    """Parse and validate a rules file; errors name the file, the line and the reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{path}: cannot read rules file: {exc}") from exc
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
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
