"""The phrase syntax of the cue lexicons, translated to regular expressions.

Patterns are written as phrases instead of raw regular expressions because most cues are
plain words, and a phrase stays readable for the care staff who review and extend them:

* words in order, separated by anything that is not a letter or digit: `sin internet`;
* `word*` matches any ending (inflections): `cobr*` = cobro, cobraron, cobráis...;
* `a/b/c` alternatives for one word: `no/nunca vino`;
* `[word]` an optional word (alternatives allowed: `[me/nos]`; no spaces inside);
* `..` up to three words of anything, `...` up to six: `cable* .. colgando`;
* `<n>` a number: `<n> veces`;
* a pattern starting with `re:` is a raw regular expression over the normalised text.

Patterns and texts are compared after `normalise`: lower case, accents removed, letters
repeated three or more times collapsed (`ayudaaa` = `ayuda`), so a lexicon lists a word once.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["ALWAYS", "compile_pattern", "finditer_words", "normalise", "trigger_words"]

ALWAYS: Final = ""
"""Trigger of a pattern that has no mandatory literal word: it is tried on every text."""

_W: Final = "[a-z0-9]"
_SEP: Final = "[^a-z0-9]+"
_REPEATS = re.compile(r"([a-z])\1{2,}")
_LEAD = re.compile(r"[a-z0-9]+")
# Combining marks left by NFKD (accents, tilde, cedilla): removing them folds á->a, ñ->n, ç->c.
_COMBINING = re.compile(r"[\u0300-\u036f]")


def normalise(text: str) -> str:
    """Lower-case, strip accents, collapse letter runs: the form both lexicons and texts take."""
    folded = _COMBINING.sub("", unicodedata.normalize("NFKD", text.lower()))
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
    """Translate one phrase pattern (syntax in the module docstring) to a regular expression.

    The expression checks the right word boundary only; use `finditer_words` (which checks
    the left one) to run it.
    """
    if pattern.startswith("re:"):
        return pattern[3:].strip()
    tokens = normalise(pattern).split()
    if any(t.startswith("[") != t.endswith("]") for t in tokens):
        raise ValueError(f"optional words may not contain spaces: {pattern!r}")
    out: list[str] = []
    anchored = False  # has a mandatory word been placed? Before it, pieces carry a trailing separator.
    for token in tokens:
        if token in ("..", "..."):
            count = 3 if token == ".." else 6
            out.append(f"(?:{_SEP}{_W}+){{0,{count}}}" if anchored else f"(?:{_W}+{_SEP}){{0,{count}}}")
        elif token.startswith("["):
            word = _word(token[1:-1])
            out.append(f"(?:{_SEP}{word})?" if anchored else f"(?:{word}{_SEP})?")
        else:
            out.append((_SEP if anchored else "") + _word(token))
            anchored = True
    if not anchored:
        raise ValueError(f"a pattern needs at least one mandatory word: {pattern!r}")
    # No `(?<![a-z0-9])` in front: a leading look-behind stops `re` from jumping to the first
    # literal and makes matching ~30 times slower. Callers check the left word boundary.
    return f"{''.join(out)}(?!{_W})"


def trigger_words(pattern: str) -> tuple[str, ...]:
    """Words one of which must occur in a text for `pattern` to match.

    The first mandatory word of the phrase, one entry per alternative; `word*` for a prefix,
    `<n>` for a number, `ALWAYS` when there is no literal word (raw regular expressions).
    Looking these up in a text's word set first, then running the few candidate patterns,
    is about a hundred times cheaper than running every pattern on every text.
    """
    if pattern.startswith("re:"):
        return (ALWAYS,)
    for token in normalise(pattern).split():
        if token in ("..", "...") or token.startswith("["):
            continue
        keys: list[str] = []
        for alt in token.split("/"):
            lead = _LEAD.match(alt)
            if alt == "<n>":
                keys.append("<n>")
            elif lead is None:
                return (ALWAYS,)
            else:
                keys.append(alt if lead.group(0) == alt else lead.group(0) + "*")
        return tuple(dict.fromkeys(keys))
    return (ALWAYS,)


def finditer_words(regex: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """Matches of a compiled phrase that start at a word boundary (see `compile_pattern`)."""
    found: list[re.Match[str]] = []
    pos = 0
    while (match := regex.search(text, pos)) is not None:
        start = match.start()
        if start and _is_word(text[start - 1]):
            pos = start + 1
            continue
        found.append(match)
        pos = match.end() if match.end() > start else start + 1
    return found


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()
