"""Cue lexicons for `bot.reading.signals`: YAML data per language, compiled once at start-up.

The lexicons live in YAML (`es.yaml`, `en.yaml`, `pt.yaml`, plus `common.yaml` for emoji and
names that mean the same in every language) so that care staff can read and extend them without
touching Python; the phrase syntax is described in `bot.reading.lexicons.phrases`.

Each YAML file has `patterns` (category -> phrases; `risks` nests one level:
`risks.safety`), `words` (plain word sets such as `negators` and `fillers`) and `shorthand`
(chat abbreviations expanded before matching).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final

import yaml

from bot.core.yaml_loader import SAFE_LOADER
from bot.reading.lexicons.phrases import ALWAYS, compile_pattern, finditer_words, normalise, trigger_words

__all__ = [
    "CompiledLexicon",
    "Scan",
    "available_languages",
    "compile_pattern",
    "load_lexicon",
    "load_risk_lexicon",
    "normalise",
]

_PREFIX_KEY: Final = 2
_MAX_CACHED_WORDS: Final = 100_000
_WORDS = re.compile(r"[a-z0-9]+")
# A maximal run of [a-z0-9] made of digits only: what `<n>` patterns need.
_NUMBER = re.compile(r"(?<![a-z0-9])[0-9]+(?![a-z0-9])")


@dataclass(frozen=True, slots=True)
class CompiledLexicon:
    """One language's cues, ready to match against a normalised text.

    `regexes` holds the compiled patterns of each category; `exact`, `prefixes` and `always`
    index them by trigger word over all categories, so that one pass over a text's words finds
    the few patterns worth running. Immutable: share one instance between threads.
    """

    lang: str
    regexes: Mapping[str, tuple[re.Pattern[str], ...]]
    exact: Mapping[str, tuple[tuple[str, int], ...]]
    prefixes: Mapping[str, tuple[tuple[str, str, int], ...]]
    always: Mapping[str, tuple[int, ...]]
    words: Mapping[str, frozenset[str]]
    shorthand: Mapping[str, str]
    emoji: Mapping[str, frozenset[str]]
    shorthand_re: re.Pattern[str] | None = None
    # word -> the (category, pattern index) pairs it triggers; words repeat across messages.
    _triggers: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict, compare=False)

    def expand(self, text: str) -> str:
        """Expand chat shorthand (`q` -> `que`, `can't` -> `can not`) in a normalised text."""
        if self.shorthand_re is None:
            return text
        return self.shorthand_re.sub(lambda m: self.shorthand[m.group(0)], text)

    def scan(self, text: str) -> Scan:
        """Index a normalised text once; then `Scan.find` each category cheaply."""
        candidates: dict[str, set[int]] = {c: set(i) for c, i in self.always.items()}
        words = set(_WORDS.findall(text))
        if _NUMBER.search(text):  # a word that is all digits
            words.add("<n>")
        cache = self._triggers
        for word in words:
            found = cache.get(word)
            if found is None:
                found = self._triggered(word)
            for category, index in found:
                if category in candidates:
                    candidates[category].add(index)
                else:
                    candidates[category] = {index}
        return Scan(self, text, candidates)

    def _triggered(self, word: str) -> tuple[tuple[str, int], ...]:
        """The patterns `word` triggers, by exact word or prefix; remembered per word."""
        found = tuple(self.exact.get(word, ())) + tuple(
            (category, index)
            for prefix, category, index in self.prefixes.get(word[:_PREFIX_KEY], ())
            if word.startswith(prefix)
        )
        if len(self._triggers) >= _MAX_CACHED_WORDS:
            self._triggers.clear()
        self._triggers[word] = found
        return found

    def find(self, category: str, text: str) -> list[re.Match[str]]:
        """Matches of one category; use `scan` when reading many categories of one text."""
        return self.scan(text).find(category)


@dataclass(frozen=True, slots=True)
class Scan:
    """A normalised text with, per category, the patterns its words make possible."""

    lexicon: CompiledLexicon
    text: str
    candidates: Mapping[str, set[int]]

    def find(self, category: str) -> list[re.Match[str]]:
        """Non-overlapping matches, leftmost first, longest first at the same position."""
        indexes = self.candidates.get(category)
        if not indexes:
            return []
        regexes = self.lexicon.regexes[category]
        found = [
            match
            for index in indexes
            for match in finditer_words(regexes[index], self.text)
            if match.group(0).strip()
        ]
        found.sort(key=lambda m: (m.start(), -m.end()))
        kept: list[re.Match[str]] = []
        for match in found:
            if not kept or match.start() >= kept[-1].end():
                kept.append(match)
        return kept


class _Builder:
    """Accumulates compiled patterns and their trigger index while a lexicon loads."""

    def __init__(self) -> None:
        self.regexes: dict[str, tuple[re.Pattern[str], ...]] = {}
        self.exact: dict[str, list[tuple[str, int]]] = {}
        self.prefixes: dict[str, list[tuple[str, str, int]]] = {}
        self.always: dict[str, list[int]] = {}

    def add(self, category: str, patterns: Iterable[str]) -> None:
        compiled: list[re.Pattern[str]] = []
        for index, pattern in enumerate(dict.fromkeys(patterns)):
            try:
                compiled.append(re.compile(compile_pattern(pattern)))
            except (re.error, ValueError) as exc:
                raise ValueError(f"bad pattern {pattern!r} in lexicon category {category!r}: {exc}") from exc
            for key in trigger_words(pattern):
                if key.endswith("*") and len(key) > _PREFIX_KEY:
                    self.prefixes.setdefault(key[:_PREFIX_KEY], []).append((key[:-1], category, index))
                elif key == ALWAYS or key.endswith("*"):
                    self.always.setdefault(category, []).append(index)
                else:
                    self.exact.setdefault(key, []).append((category, index))
        self.regexes[category] = tuple(compiled)

    def build(
        self,
        lang: str,
        words: Mapping[str, frozenset[str]],
        shorthand: Mapping[str, str],
        emoji: Mapping[str, frozenset[str]],
    ) -> CompiledLexicon:
        return CompiledLexicon(
            lang=lang,
            regexes=self.regexes,
            exact={key: tuple(value) for key, value in self.exact.items()},
            prefixes={key: tuple(value) for key, value in self.prefixes.items()},
            always={key: tuple(dict.fromkeys(value)) for key, value in self.always.items()},
            words=words,
            shorthand=shorthand,
            emoji=emoji,
            shorthand_re=_shorthand_re(shorthand),
        )


def _read(name: str) -> dict[str, Any]:
    source = resources.files(__name__).joinpath(f"{name}.yaml")
    data = yaml.load(source.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    if not isinstance(data, dict):
        raise ValueError(f"lexicon {name}.yaml must be a mapping")
    return data


def _text(item: object, where: str) -> str:
    """YAML reads a bare `no` or `on` as a boolean: refuse anything that is not a string."""
    if not isinstance(item, str):
        raise ValueError(f"lexicon entry {item!r} in {where!r} is not a string: quote it")
    return item


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """`risks: {safety: [...]}` becomes category `risks.safety`."""
    flat: dict[str, list[str]] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = [_text(item, name) for item in value]
        else:
            raise ValueError(f"lexicon category {name!r} must be a list or a mapping")
    return flat


def available_languages() -> frozenset[str]:
    """Languages with a lexicon file (every `*.yaml` except `common`)."""
    return frozenset(
        entry.name.removesuffix(".yaml")
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".yaml") and entry.name != "common.yaml"
    )


def _shorthand_re(shorthand: Mapping[str, str]) -> re.Pattern[str] | None:
    if not shorthand:
        return None
    keys = sorted(shorthand, key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9'])(?:" + "|".join(map(re.escape, keys)) + r")(?![a-z0-9'])")


def load_risk_lexicon(langs: Iterable[str]) -> CompiledLexicon:
    """The `risks.*` categories of several languages in one lexicon.

    Risks are looked for in every configured language whatever the detected one (a missed
    crisis costs more than a false alarm), and one merged scan is cheaper than one per language.
    """
    common = _flatten(_read("common").get("patterns", {}))
    merged: dict[str, list[str]] = {}
    for lang in langs:
        for category, patterns in _flatten(_read(lang).get("patterns", {})).items():
            if category.startswith("risks."):
                merged.setdefault(category, []).extend(patterns)
    builder = _Builder()
    for category in sorted(set(merged) | {c for c in common if c.startswith("risks.")}):
        builder.add(category, [*merged.get(category, []), *common.get(category, [])])
    return builder.build("+".join(langs), {}, {}, {})


def load_lexicon(lang: str) -> CompiledLexicon:
    """Load `<lang>.yaml` merged with `common.yaml`.

    Called once per reader at start-up. A bad pattern fails here, loudly, naming the pattern,
    not at the first message.
    """
    if lang not in available_languages():
        raise ValueError(f"no lexicon for language {lang!r}; have {sorted(available_languages())}")
    common = _read("common")
    own = _read(lang)
    own_patterns = _flatten(own.get("patterns", {}))
    shared_patterns = _flatten(common.get("patterns", {}))
    builder = _Builder()
    for category in sorted(set(own_patterns) | set(shared_patterns)):
        builder.add(category, [*own_patterns.get(category, []), *shared_patterns.get(category, [])])
    words = {
        key: frozenset(normalise(_text(w, key)) for w in value)
        for key, value in {**common.get("words", {}), **own.get("words", {})}.items()
    }
    shorthand = {
        normalise(_text(k, "shorthand")): normalise(_text(v, "shorthand"))
        for k, v in own.get("shorthand", {}).items()
    }
    emoji = {key: frozenset(str(e) for e in value) for key, value in common.get("emoji", {}).items()}
    return builder.build(lang, words, shorthand, emoji)
