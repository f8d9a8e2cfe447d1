"""Text normalisation and echo fingerprints.

An echo is someone (or a bridge, or a bot) repeating a text we published; replying to it would
start a loop. The fingerprint ignores handles, links, case, accents and an "RT" prefix, so the
same sentence quoted back is recognised.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACES = re.compile(r"\s+")
_LINKS = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLES = re.compile(r"(?<!\w)@\w+")
_RT = re.compile(r"^\s*rt\b\s*:?\s*", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+")


def normalise_text(text: str) -> str:
    """NFC, no control characters, single spaces: what every later step reads."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lower case without accents, for matching words in es/en/pt alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def echo_fingerprint(text: str) -> str | None:
    """A stable hash of the words of `text`, or None when too little is left to compare."""
    stripped = _RT.sub("", _HANDLES.sub(" ", _LINKS.sub(" ", text)))
    words = _NON_WORD.sub(" ", fold(stripped)).split()
    if len(words) < 4:
        return None
    return hashlib.sha256(" ".join(words).encode()).hexdigest()[:32]
