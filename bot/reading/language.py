"""Which of the configured languages a message is written in.

The reply language, the KB article language and the lexicons used by `bot.reading.signals` all hang on
this guess, so it is restricted to the languages the service is configured for: a guess outside
them would be useless downstream.

How it decides, cheapest first:

1. Clean the text: URLs, e-mail addresses, @handles, the `#` of hashtags, emoji, digits and
   symbols carry no language and mislead n-gram models (`@Ondanet_US hello?` reads as Spanish).
2. Very short texts (`oi`, `hola?`, `??`, an emoji) are not given to a statistical detector,
   whose answer on two letters is noise: a small per-language list of greeting and help words
   decides, else the author's known preference, else the configured default.
3. Texts full of function words (`the`, `que`, `não`...) are decided by counting them: this is
   exact for ordinary sentences and about ten times faster than an n-gram model.
4. Everything else goes to lingua, restricted to the configured languages. When lingua is
   unsure (top confidence below `AMBIGUOUS`) the author's preference wins.

Preference versus a long, clearly-other-language text: the text wins. We answer in the language
the person is writing in *now*; a profile preference is a hint that goes stale (a Brazilian
customer who writes to us in English wants an English answer).

Detectors compared on the 240 labelled dev messages (`expect.lang`) and on 2,936 real traffic
messages with an es/en/pt `lang_hint`; accuracy, then per-call thread CPU time in µs (median /
p99) on a shared 2-core box. The first five get pre-cleaned text; the last row includes its own
cleaning. `python -m bench.language FILE` reproduces the last row.

| detector (restricted to es/en/pt)          | dev acc | dev µs    | traffic acc | traffic µs |
|--------------------------------------------|--------:|----------:|------------:|-----------:|
| langdetect 1.0.9 (seeded)                  |   0.983 | 4127/14902|       0.985 | 2839/14504 |
| lingua 2.1.1 high accuracy, preloaded      |   0.996 |   204/384 |       0.998 |  155/1265  |
| lingua 2.1.1 low accuracy, preloaded       |   0.992 |    58/125 |       0.992 |   66/1149  |
| pycld2 0.42 (best effort)                  |   0.988 |     13/30 |       0.992 |    12/149  |
| pycld2 when reliable, else lingua high     |   0.992 |     12/63 |       0.997 |    12/237  |
| **this module** (cues, function words, lingua high) | **1.000** | 64/368 | 0.996 | 63/459 |

(The traffic gap to plain lingua is 2-word texts such as "8 adults" that this module
deliberately sends to the default language rather than trust a guess.)

langdetect is slowest, least accurate and random unless seeded (a global, not thread-safe
seed); pycld2 is fast but sure of itself when wrong on short Spanish headlines, and would be a
new dependency. Lingua is the most accurate; the function-word fast path keeps its accuracy at
a fraction of its cost, so lingua only sees the hard cases.

Thread safety: the instance holds only immutable data and one lingua detector, whose
detection methods are pure; `detect` can be called from any number of threads. Building the
detector loads the n-gram models (about 1 s, 130 MB): build one per process and share it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from lingua import IsoCode639_1, LanguageDetectorBuilder

from bot.reading.normalise import drop_handles, may_hold_link, strip_accents

__all__ = ["AMBIGUOUS", "LanguageDetector", "LanguageGuess", "clean_for_language"]

AMBIGUOUS: Final = 0.6
"""Below this lingua confidence a known author preference beats the detector."""

_MAX_CHARS: Final = 300
"""Lingua's cost grows with length; 300 characters is plenty to tell three languages apart."""
_MAX_INPUT: Final = 1_000
"""Only the opening of a long e-mail is looked at: cleaning and word counts are linear in length."""
_SHORT_LETTERS: Final = 10
_SHORT_WORDS: Final = 2
_SHORT_DETECTOR_LETTERS: Final = 5
_SHORT_DETECTOR_CONFIDENCE: Final = 0.7

_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w+")
_NOT_TEXT = re.compile(r"[^\w\s'’]|[\d_]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Greetings and one-word requests that people send alone. Words shared by two languages
# (`no`, `ola`, `por favor`) are left out on purpose: they must not decide.
_SHORT_CUES: Final[dict[str, frozenset[str]]] = {
    "es": _words(
        "alguien auxilio ayuda ayudaa buenas buenos dias gracias hay hola internet nadie noches "
        "oigan oye pasa porfa porfavor problema que senal si tardes tengo vale"
    ),
    "en": _words(
        "anyone evening hello hellooo help hey hi morning ok okay please pls thank thanks there "
        "what why wtf yes yo you"
    ),
    "pt": _words(
        "ai ajuda alguem alo boa bom dia nao noite obg obrigada obrigado oi ola sim socorro tarde "
        "tem to tô valeu vlw"
    ),
}

# Function words that are frequent in one language and rare or absent in the other two.
_FUNCTION_WORDS: Final[dict[str, frozenset[str]]] = {
    "es": _words(
        "al como con cual cuando de del donde el en es ese eso esta esto estoy fue hace hay la las "
        "le les lo los me mi mis muy nos otra otro para pero por puedo pues que quiero se sin solo "
        "son su sus tambien tengo una unas unos usted ustedes vosotros y ya yo"
    ),
    "en": _words(
        "an and are at be been but can cant did do does dont for from get got had has have how i if "
        "im is it its just me my no not of on or our so that the there they this to was we were "
        "what when where why will with would you your"
    ),
    "pt": _words(
        "as como da das de do dos e ela ele em essa esse esta estou eu fiz foi isso isto meu minha "
        "muito na nao nas no nos onde os outra outro para por porque pra pro qual quando que sao se "
        "sem so ta tambem tem um uma umas uns voce voces vou"
    ),
}
# Words present in two languages' lists count for neither; kept separate so the lists above
# can stay readable.
_SHARED: Final = (
    (_FUNCTION_WORDS["es"] & _FUNCTION_WORDS["pt"])
    | (_FUNCTION_WORDS["es"] & _FUNCTION_WORDS["en"])
    | (_FUNCTION_WORDS["en"] & _FUNCTION_WORDS["pt"])
)
# Customer-care words spelt differently in each language ("senha" / "contraseña" / "password"):
# they break ties on short questions where function words are shared ("como", "o") and the
# statistical detector is unsure ("como ativo o roaming?").
_CARE_WORDS: Final[dict[str, frozenset[str]]] = {
    "es": _words(
        "contrasena factura facturas paquete datos linea cuenta movil aplicacion suscripcion tarifa "
        "averia reinicio reiniciar enrutador llamada cobro cobraron cobrais baja darme oigan vale"
    ),
    "en": _words(
        "password bill billing package data line account phone app subscription plan outage restart "
        "reboot router call charge charged cancel"
    ),
    "pt": _words(
        "senha fatura pacote dados linha conta celular aplicativo assinatura plano queda reiniciar "
        "roteador ligacao cobranca cobraram ativo ativar ativa desativar vlw obrigado obrigada voce"
    ),
}
_MIN_FUNCTION_HITS: Final = 3
_MIN_FUNCTION_RATIO: Final = 3.0


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """A language decision and how it was reached, kept for the audit trail."""

    lang: str
    confidence: float
    method: str  # "preference" | "detector" | "short-text" | "default"


def clean_for_language(text: str) -> str:
    """Drop what carries no language: URLs, handles, hashtag marks, emoji, digits, symbols."""
    # The e-mail branch of `_URL` needs an `@`, its link branches `://` or `www.`.
    text = _URL.sub(" ", text) if "@" in text or may_hold_link(text) else text
    text = drop_handles(text, _HANDLE)
    return " ".join(_NOT_TEXT.sub(" ", text).split())


def _folded_words(text: str) -> list[str]:
    """The words of `text`, folded: one accent-stripping pass over the text, not one per word."""
    return _WORD.findall(_fold(text))


def _fold(word: str) -> str:
    """Lower-case and strip accents: users write `nao`, `senal`, `alo` as often as not."""
    return strip_accents(word.lower(), "NFD")


class LanguageDetector:
    """Guess a message's language among a fixed, configured set (ISO 639-1 codes)."""

    def __init__(self, languages: Sequence[str] = ("es", "en", "pt"), default: str = "es") -> None:
        codes = tuple(dict.fromkeys(code.lower() for code in languages))
        if not codes:
            raise ValueError("at least one language must be configured")
        if default not in codes:
            raise ValueError(f"default language {default!r} is not one of {codes}")
        self.languages: tuple[str, ...] = codes
        self.default = default
        isos = [getattr(IsoCode639_1, code.upper(), None) for code in codes]
        unknown = [code for code, iso in zip(codes, isos, strict=True) if iso is None]
        if unknown:
            raise ValueError(f"unsupported language codes: {unknown}")
        self._lingua = (
            LanguageDetectorBuilder.from_iso_codes_639_1(*[iso for iso in isos if iso is not None])
            .with_preloaded_language_models()
            .build()
            if len(codes) > 1
            else None
        )
        self._cues = {code: _SHORT_CUES.get(code, frozenset()) for code in codes}
        self._function_words = {code: _FUNCTION_WORDS.get(code, frozenset()) - _SHARED for code in codes}

    def detect(self, text: str, preferred: str | None = None) -> LanguageGuess:
        """Guess the language of `text`; `preferred` is the author's known preference, if any."""
        pref = preferred.lower() if preferred else None
        if pref not in self.languages:
            pref = None
        if self._lingua is None:
            return LanguageGuess(self.default, 1.0, "default")
        cleaned = clean_for_language(text[:_MAX_INPUT])
        words = _folded_words(cleaned)
        letters = sum(len(w) for w in words)
        if len(words) <= _SHORT_WORDS or letters < _SHORT_LETTERS:
            return self._short(cleaned, words, letters, pref)
        by_words = self._by_function_words(words)
        if by_words is not None:
            return by_words
        return self._by_lingua(cleaned[:_MAX_CHARS], pref)

    def _fallback(self, pref: str | None) -> LanguageGuess:
        if pref is not None:
            return LanguageGuess(pref, 0.5, "preference")
        return LanguageGuess(self.default, 0.3, "default")

    def _short(self, cleaned: str, words: list[str], letters: int, pref: str | None) -> LanguageGuess:
        """Too little text for statistics alone.

        Greeting and help words decide; else the author's preference; else lingua, only when
        it is confident (it is right on `Sure thing` or `Ótimo`, noise on `ok`); else default.
        """
        votes = {code: sum(w in cues for w in words) for code, cues in self._cues.items()}
        best = max(votes.values(), default=0)
        winners = [code for code, n in votes.items() if n == best and best > 0]
        if len(winners) == 1:
            return LanguageGuess(winners[0], 0.8, "short-text")
        if pref is not None:
            return LanguageGuess(pref, 0.6 if pref in winners else 0.5, "preference")
        if letters >= _SHORT_DETECTOR_LETTERS:
            guess = self._by_lingua(cleaned, None)
            if guess.confidence >= _SHORT_DETECTOR_CONFIDENCE:
                return guess
        return LanguageGuess(self.default, 0.3, "default")

    def _by_function_words(self, words: list[str]) -> LanguageGuess | None:
        """Decide plain sentences by function-word counts; None when they do not clearly agree."""
        counts = sorted(
            ((sum(w in fw for w in words), code) for code, fw in self._function_words.items()),
            reverse=True,
        )
        (top, lang), (second, _) = counts[0], counts[1]
        if top >= _MIN_FUNCTION_HITS and top >= _MIN_FUNCTION_RATIO * max(second, 0.5):
            return LanguageGuess(lang, min(0.99, 0.7 + 0.05 * (top - second)), "detector")
        return None

    def _by_lingua(self, cleaned: str, pref: str | None) -> LanguageGuess:
        assert self._lingua is not None
        values = self._lingua.compute_language_confidence_values(cleaned)
        if not values:
            return self._fallback(pref)
        top = values[0]
        lang = top.language.iso_code_639_1.name.lower()
        confidence = float(top.value)
        if confidence < AMBIGUOUS and pref is not None:
            return LanguageGuess(pref, confidence, "preference")
        if confidence < AMBIGUOUS:
            words = _folded_words(cleaned)
            tie_break = self._by_care_words(words)
            if tie_break is not None:
                return LanguageGuess(tie_break, confidence, "care-words")
        return LanguageGuess(lang, confidence, "detector")

    def _by_care_words(self, words: list[str]) -> str | None:
        """The one language whose care and function words the text uses most, if there is one."""
        hits = {}
        for code in self.languages:
            vocabulary = _CARE_WORDS.get(code, frozenset()) | self._function_words[code]
            hits[code] = sum(w in vocabulary for w in words)
        best = max(hits.values(), default=0)
        winners = [code for code, n in hits.items() if n == best]
        return winners[0] if best > 0 and len(winners) == 1 else None
