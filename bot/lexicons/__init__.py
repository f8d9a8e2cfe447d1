"""Cue lexicons for `bot.signals`: YAML data per language, compiled once into regular expressions.

The lexicons live in YAML (`es.yaml`, `en.yaml`, `pt.yaml`, plus `common.yaml` for emoji and
names that mean the same in every language) so that care staff can read and extend them without
touching Python. Patterns are written in a small phrase syntax instead of raw regular
expressions because most of them are plain words, and a phrase stays readable for reviewers:

* words in order, separated by anything that is not a letter or digit: `sin internet`;
* `word*` matches any ending (inflections): `cobr*` = cobro, cobraron, cobráis...;
* `a/b/c` alternatives for one word: `no/nunca vino`;
* `[word]` an optional word (alternatives allowed: `[me/nos]`);
* `..` up to three words of anything, `...` up to six: `cable* .. colgando`;
* `<n>` a number: `<n> veces`;
* a pattern starting with `re:` is a raw regular expression over the normalised text.

Patterns and texts are compared after `normalise`: lower case, accents removed, letters
repeated three or more times collapsed (`ayudaaa` = `ayuda`), so lexicons list a word once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import yaml

__all__ = [
    "CategoryMatcher",
    "CompiledLexicon",
    "available_languages",
    "compile_pattern",
    "load_lexicon",
    "normalise",
    "text_words",
]

_W: Final = "[a-z0-9]"
_SEP: Final = "[^a-z0-9]+"
_REPEATS = re.compile(r"([a-z])\1{2,}")


def normalise(text: str) -> str:
    """Lower-case, strip accents, collapse letter runs: the form both lexicons and texts take."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _REPEATS.sub(r"\1", folded)


def _word(token: str) -> str:
    alternatives = []
    for alt in token.split("/"):
        if alt == "<n>":
            alternatives.append("[0-9]+(?:[.,][0-9]+)?")
        elif alt.endswith("*"):
            alternatives.append(re.escape(alt[:-1]) + f"{_W}*")
        else:
            alternatives.append(re.escape(alt))
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


def compile_pattern(pattern: str) -> str:
    """Translate one phrase pattern (syntax in the module docstring) to a regular expression."""
    if pattern.startswith("re:"):
        return pattern[3:].strip()
    tokens = normalise(pattern).split()
    broken = [t for t in tokens if t.startswith("[") != t.endswith("]")]
    if broken:
        raise ValueError(f"optional words may not contain spaces: {pattern!r}")
    out: list[str] = []
    for index, token in enumerate(tokens):
        last = index == len(tokens) - 1
        if token in ("..", "..."):
            out.append(f"(?:{_W}+{_SEP}){{0,{3 if token == '..' else 6}}}")
        elif token.startswith("[") and token.endswith("]"):
            word = _word(token[1:-1])
            out.append(f"(?:{_SEP}{word})?" if last and index else f"(?:{word}{_SEP})?")
        else:
            out.append(_word(token) + ("" if last else _SEP))
    if len(tokens) > 1 and tokens[-1].startswith("[") and out[-2].endswith(_SEP):
        out[-2] = out[-2].removesuffix(_SEP)
    body = "".join(out)
    return f"(?<!{_W}){body}(?!{_W})"


_TRIGGER = re.compile(r"[a-z0-9]+")
_ALWAYS: Final = ""


def _trigger(pattern: str) -> tuple[str, ...]:
    """Words that must occur in a text for `pattern` to match (`word*` gives a prefix `word*`).

    Matching every pattern of a category against every text costs about a millisecond;
    looking up the first mandatory word of each pattern in the text's word set first, then
    running only the few candidate patterns, costs a few microseconds. `("",)` = always run.
    """
    if pattern.startswith("re:"):
        return (_ALWAYS,)
    for token in normalise(pattern).split():
        if token in ("..", "...") or token.startswith("["):
            continue
        keys: list[str] = []
        for alt in token.split("/"):
            lead = _TRIGGER.match(alt)
            if alt == "<n>":
                keys.append("<n>")
            elif lead is None:
                return (_ALWAYS,)
            elif lead.group(0) == alt:
                keys.append(alt)
            else:
                keys.append(lead.group(0) + "*")
        return tuple(keys)
    return (_ALWAYS,)


@dataclass(frozen=True, slots=True)
class CategoryMatcher:
    """The compiled patterns of one category, indexed by the word that triggers each."""

    regexes: tuple[re.Pattern[str], ...]
    exact: Mapping[str, tuple[int, ...]]
    prefixes: tuple[tuple[str, int], ...]
    always: tuple[int, ...]

    @classmethod
    def build(cls, category: str, patterns: Iterable[str]) -> CategoryMatcher:
        regexes: list[re.Pattern[str]] = []
        exact: dict[str, list[int]] = {}
        prefixes: list[tuple[str, int]] = []
        always: list[int] = []
        for index, pattern in enumerate(dict.fromkeys(patterns)):
            try:
                regexes.append(re.compile(compile_pattern(pattern)))
            except (re.error, ValueError) as exc:
                raise ValueError(f"bad pattern {pattern!r} in lexicon category {category!r}: {exc}") from exc
            for key in _trigger(pattern):
                if key == _ALWAYS:
                    always.append(index)
                elif key.endswith("*"):
                    prefixes.append((key[:-1], index))
                else:
                    exact.setdefault(key, []).append(index)
        return cls(
            tuple(regexes),
            {key: tuple(dict.fromkeys(v)) for key, v in exact.items()},
            tuple(prefixes),
            tuple(dict.fromkeys(always)),
        )

    def finditer(self, text: str, words: frozenset[str]) -> list[re.Match[str]]:
        """Non-overlapping matches, leftmost first, longest first at the same position."""
        candidates = set(self.always)
        for word in words:
            candidates.update(self.exact.get(word, ()))
        if any(word.isdigit() for word in words):
            candidates.update(self.exact.get("<n>", ()))
        candidates.update(i for prefix, i in self.prefixes if any(w.startswith(prefix) for w in words))
        found = [m for i in candidates for m in self.regexes[i].finditer(text) if m.group(0).strip()]
        found.sort(key=lambda m: (m.start(), -m.end()))
        kept: list[re.Match[str]] = []
        for match in found:
            if not kept or match.start() >= kept[-1].end():
                kept.append(match)
        return kept


@dataclass(frozen=True, slots=True)
class CompiledLexicon:
    """One language's cues, ready to match against a normalised text.

    `patterns`: one matcher per category (`complaint`, `risks.safety`...).
    `words`: plain word sets (`negators`, `fillers`...). `shorthand`: chat abbreviations
    expanded before matching (`q` -> `que`). `emoji`: emoji sets shared by all languages.
    """

    lang: str
    patterns: Mapping[str, CategoryMatcher]
    words: Mapping[str, frozenset[str]]
    shorthand: Mapping[str, str]
    emoji: Mapping[str, frozenset[str]]

    def find(self, category: str, text: str, words: frozenset[str] | None = None) -> list[re.Match[str]]:
        """Matches of `category` in a normalised text; pass `words` when calling many times."""
        matcher = self.patterns.get(category)
        if matcher is None:
            return []
        return matcher.finditer(text, words if words is not None else text_words(text))


def text_words(text: str) -> frozenset[str]:
    """The word set used to pick candidate patterns: compute once per normalised text."""
    return frozenset(_TRIGGER.findall(text))


def _read(name: str) -> dict[str, Any]:
    source = resources.files(__name__).joinpath(f"{name}.yaml")
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"lexicon {name}.yaml must be a mapping")
    return data


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """`risks: {safety: [...]}` becomes category `risks.safety`."""
    flat: dict[str, list[str]] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = [str(item) for item in value]
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


def load_lexicon(lang: str) -> CompiledLexicon:
    """Load `<lang>.yaml` merged with `common.yaml`.

    Called once per reader at start-up; the result is immutable and can be shared between
    threads. A bad pattern fails here, loudly, not at the first message.
    """
    common = _read("common")
    own = _read(lang)
    own_patterns = _flatten(own.get("patterns", {}))
    shared_patterns = _flatten(common.get("patterns", {}))
    patterns: dict[str, CategoryMatcher] = {}
    for category in sorted(set(own_patterns) | set(shared_patterns)):
        entries = [*own_patterns.get(category, []), *shared_patterns.get(category, [])]
        if entries:
            patterns[category] = CategoryMatcher.build(category, entries)
    words = {
        key: frozenset(normalise(str(w)) for w in value)
        for key, value in {**common.get("words", {}), **own.get("words", {})}.items()
    }
    shorthand = {normalise(str(k)): normalise(str(v)) for k, v in own.get("shorthand", {}).items()}
    emoji = {key: frozenset(str(e) for e in value) for key, value in common.get("emoji", {}).items()}
    return CompiledLexicon(lang, patterns, words, shorthand, emoji)
