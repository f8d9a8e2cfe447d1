"""What a message says, in cues the router can act on: sentiment, intents and risk topics.

The reader is deliberately a lexicon, not a model: every decision it feeds (crisis, case,
answer, agent) must be explainable to staff, so `Signals.cues` lists the words that fired.
Lexicons are per-language YAML files (`bot/lexicons/`); see that package for the syntax.

Intents (names are part of the API: the router and the audit log use them):

* `question`: asks something (a `?`, an interrogative opening a sentence, "una duda").
* `complaint`: reports a problem with the author's own service or account that needs company
  action (no service, wrong bill, broken device, charge not recognised, technician no-show,
  porting stuck, cancelled but still billed). A problem followed by a how-to question ("no me
  llega el código, ¿cómo lo hago?") is *not* a complaint unless the author already tried or
  asks us to act: that one is a KB candidate. A problem that is over ("ya volvió") neither.
* `already_tried`: the author followed the steps or the problem persists ("ya reinicié 5
  veces", "followed your guide", "continua igual"). Vetoes an automatic KB answer.
* `own_account`: talks about *my* line, bill, router, contract. A hint, not a case by itself.
* `human_request`: asks for a person, a call back or a private message.
* `sales`: wants an offer, a price, a quote, a business plan, a discount.
* `praise`: thanks or compliments without irony.
* `spam`: ads, easy-money and crypto offers.
* `joke`: laughter markers or a joke format; a joke is chatter, not a report.
* `vague`: nothing to act on: only greetings/fillers ("hola?", "oi", "ayuda", "Tengo un
  problema") or emoji only.
* `retweet`: an "RT @..." copy of someone else's post.

Risks (LABELS.md decision order, step 2): `safety`, `legal`, `press`, `breach`,
`discrimination`, `boycott`. Risk lexicons of *every* configured language are applied to every
message: a missed crisis costs far more than a false alarm, and code-switched or misdetected
texts must not hide a "lawyer" or a "Procon".

Negation: a negator in the three words before a cue, within the same clause, cancels it
("no tengo ninguna queja", "no es peligroso"); cues that contain their own negation
("no funciona") are not cancelled. Sarcasm: a positive word next to a problem or an ironic emoji
("genial, otra vez sin internet 🙃") counts as negative.

Thread safety: a reader holds compiled, immutable lexicons only; `read` can be called from
any number of threads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol, get_args

from bot.reading.lexicons import CompiledLexicon, Scan, load_lexicon, load_risk_lexicon, normalise
from bot.reading.normalise import drop_handles, drop_links

__all__ = ["INTENTS", "RISKS", "LexiconSignalReader", "Risk", "SignalReader", "Signals"]

Risk = Literal["safety", "legal", "press", "breach", "discrimination", "boycott"]
RISKS: Final[tuple[Risk, ...]] = get_args(Risk)
INTENTS: Final = frozenset(
    {
        "question",
        "complaint",
        "already_tried",
        "own_account",
        "human_request",
        "sales",
        "praise",
        "spam",
        "joke",
        "vague",
        "retweet",
    }
)
SentimentLabel = Literal["positive", "negative", "neutral"]


@dataclass(frozen=True, slots=True)
class Signals:
    """Everything the router needs to know about a text, plus the cues that explain it."""

    sentiment: SentimentLabel
    sentiment_score: float
    intents: frozenset[str]
    risks: frozenset[str]
    cues: tuple[str, ...]


class SignalReader(Protocol):
    """Reads sentiment, intents and risks from a text in a known language."""

    def read(self, text: str, lang: str) -> Signals: ...


_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w+")
_RETWEET = re.compile(r"^\s*RT\s+@\w+", re.IGNORECASE)
_TOKEN = re.compile(r"[a-z0-9']+")
_EMOJI_LIKE = re.compile("[\u2190-\U0010ffff]")  # arrows, symbols, emoji: what carries tone
_LETTERS = re.compile(r"[^\W\d_]+")
_CLAUSE_END = re.compile(r"[.,;:!?¿¡\n]")
# "and" / "but" start a new clause too, so a negator before them does not cancel a cue after them.
_CONJUNCTIONS = frozenset({"y", "e", "and", "but", "pero", "mas", "mais"})
_SENTENCE_START = re.compile(r"(?:^|[.!?¿¡\n;:]|[^\x00-\x7f])\s*$")
_NEGATION_WINDOW: Final = 3
# Matching is linear in length; a 19,000-character e-mail took 60 ms. Tone and intent show in
# the opening paragraphs; risks (a lawyer in the last line) are looked for further.
_READ_CHARS: Final = 1_500
_RISK_CHARS: Final = 5_000
_RISK_TAIL: Final = 1_000
_SHOUT_MIN_LETTERS: Final = 15
_SHOUT_RATIO: Final = 0.7

# Cue weights for the sentiment balance. A complaint is negative by definition (LABELS.md);
# positive emoji weigh less than words because people sprinkle them on plain questions.
_W_COMPLAINT: Final = 1.0
_W_WEAK: Final = 0.5
_W_NEGATIVE: Final = 1.0
_W_EMOJI_NEG: Final = 1.0
_W_SHOUT: Final = 1.0
_W_PRAISE: Final = 1.5
_W_POSITIVE: Final = 0.5
_W_EMOJI_POS: Final = 1.0
_W_RISK: Final = 1.0
_W_NEGATED_POSITIVE: Final = 1.0


@dataclass(slots=True)
class _Hits:
    """Non-negated cue matches per category for one text in one lexicon."""

    text: str
    lexicon: CompiledLexicon
    cues: list[str]
    negators: frozenset[str]
    seen: dict[str, list[str]] = field(default_factory=dict)
    negated: dict[str, list[str]] = field(default_factory=dict)
    scan: Scan = field(init=False)

    def __post_init__(self) -> None:
        self.scan = self.lexicon.scan(self.text)

    def get(self, category: str, *, negatable: bool = True) -> list[str]:
        """Phrases of `category` found in the text (memoised: each cue is listed once)."""
        if category in self.seen:
            return self.seen[category]
        found: list[str] = []
        self.seen[category] = found
        for match in self.scan.find(category):
            phrase = match.group(0).strip()
            if negatable and self._negated(match.start(), phrase):
                self.negated.setdefault(category, []).append(phrase)
                self.cues.append(f"negated.{category}:{phrase}")
                continue
            found.append(phrase)
            self.cues.append(f"{category}:{phrase}")
        return found

    def _negated(self, start: int, phrase: str) -> bool:
        negators = self.negators
        first = phrase.split(" ", 1)[0]
        if first in negators:
            return False
        window = _TOKEN.findall(_CLAUSE_END.split(self.text[max(0, start - 40) : start])[-1])
        joined = [i for i, word in enumerate(window) if word in _CONJUNCTIONS]
        if joined:  # "no sale nada y ya he reiniciado": the negator belongs to the other clause
            window = window[joined[-1] + 1 :]
        return any(word in negators for word in window[-_NEGATION_WINDOW:])

    def at_sentence_start(self, category: str) -> list[str]:
        found: list[str] = []
        for match in self.scan.find(category):
            if _SENTENCE_START.search(self.text[: match.start()]):
                found.append(match.group(0).strip())
                self.cues.append(f"{category}:{found[-1]}")
        return found


class LexiconSignalReader:
    """The default `SignalReader`: per-language YAML lexicons, negation and sarcasm rules.

    Every configured language needs a lexicon file (checked at start-up, failing loudly); a
    `lang` outside the configured ones at read time falls back to `default`, so a detector
    guess can never make the reader fail.
    """

    def __init__(self, languages: Sequence[str] = ("es", "en", "pt"), default: str = "es") -> None:
        if default not in languages:
            raise ValueError(f"default language {default!r} is not one of {tuple(languages)}")
        self._default = default
        self._lexicons = {lang: load_lexicon(lang) for lang in dict.fromkeys(languages)}
        self._risk_lexicon = load_risk_lexicon(self._lexicons)

    def read(self, text: str, lang: str) -> Signals:
        lexicon = self._lexicons.get(lang) or self._lexicons[self._default]
        cues: list[str] = []
        raw_emoji = _EMOJI_LIKE.findall(text[:_READ_CHARS])
        emoji = {
            kind: sorted({ch for ch in raw_emoji if ch in chars}) for kind, chars in lexicon.emoji.items()
        }
        cleaned = drop_handles(drop_links(text, _URL), _HANDLE).replace("#", " ").replace("’", "'")
        negators = lexicon.words.get("negators", frozenset())
        head = normalise(cleaned[:_READ_CHARS])
        # Most texts are short: the risk scan then reads the same normalised text.
        risk_text = head if len(cleaned) <= _READ_CHARS else normalise(_head_and_tail(cleaned))
        hits = _Hits(lexicon.expand(head), lexicon, cues, negators)
        risk_hits = _Hits(risk_text, self._risk_lexicon, cues, negators)
        risks = frozenset(
            risk for risk in RISKS if risk_hits.get(f"risks.{risk}", negatable=risk not in _TOLD_WITH_A_NO)
        )
        intents = _intents(text, hits, lexicon, emoji)
        sentiment, score = _sentiment(text, hits, intents, risks, emoji)
        for kind, found in emoji.items():
            cues.extend(f"emoji.{kind}:{ch}" for ch in found)
        return Signals(sentiment, score, intents, risks, tuple(cues))


# Discrimination is usually told as a refusal ("no me atendieron por ser mujer", "they would not
# sell him the plan because he is old"): a negator before the cue is part of the story, not a denial.
_TOLD_WITH_A_NO = frozenset({"discrimination"})


def _head_and_tail(text: str) -> str:
    """Long e-mails: the opening and the closing lines, where threats and signatures sit."""
    if len(text) <= _RISK_CHARS:
        return text
    return text[: _RISK_CHARS - _RISK_TAIL] + " . " + text[-_RISK_TAIL:]


def _intents(raw: str, hits: _Hits, lexicon: CompiledLexicon, emoji: dict[str, list[str]]) -> frozenset[str]:
    intents: set[str] = set()
    if _RETWEET.match(raw):
        intents.add("retweet")
    tokens = _TOKEN.findall(hits.text)
    fillers = lexicon.words.get("fillers", frozenset())
    if all(token in fillers for token in tokens):
        intents.add("vague")
        hits.cues.append("vague:" + (" ".join(tokens) or "no words"))
    howto = hits.get("howto", negatable=False)
    if (
        "?" in raw
        or howto
        or hits.get("question", negatable=False)
        or hits.at_sentence_start("question_start")
    ):
        intents.add("question")
    strong = hits.get("complaint")
    weak = hits.get("complaint_weak")
    demand = hits.get("demand")
    tried = hits.get("already_tried")
    if tried:
        intents.add("already_tried")
    if hits.get("own_account", negatable=False):
        intents.add("own_account")
    if strong and (hits.get("resolved") or (howto and len(strong) == 1 and not tried and not demand)):
        hits.cues.append("complaint.downgraded:how-to or resolved")
        weak, strong = weak + strong, []
    acts = bool(demand) and (bool(tried) or "own_account" in intents or "question" not in intents)
    if strong or (weak and (tried or demand) and not howto) or acts:
        intents.add("complaint")
    for intent in ("human_request", "sales", "spam", "joke"):
        if hits.get(intent, negatable=intent != "spam"):
            intents.add(intent)
    laughing = hits.get("laughter", negatable=False) or emoji.get("joke")
    if laughing and not intents & {"question", "complaint"}:
        intents.add("joke")
    if emoji.get("spam") and ("http" in raw or "spam" in intents):
        intents.add("spam")
    if hits.get("praise"):
        intents.add("praise")
    return frozenset(intents)


def _sentiment(
    raw: str, hits: _Hits, intents: frozenset[str], risks: frozenset[str], emoji: dict[str, list[str]]
) -> tuple[SentimentLabel, float]:
    """Balance negative and positive evidence; irony turns praise words against the brand.

    A hazard, a legal threat, a leak, discrimination or a boycott is negative by nature; a
    journalist's question is not (LABELS.md: press messages can be neutral).
    """
    negative = _W_NEGATIVE * len(hits.get("negative"))
    negative += _W_RISK * bool(risks - {"press"})
    negative += _W_EMOJI_NEG * len(emoji.get("negative", []))
    if "complaint" in intents:
        negative += _W_COMPLAINT
    elif hits.get("complaint_weak"):
        negative += _W_WEAK
    letters = "".join(_LETTERS.findall(raw[:_READ_CHARS]))
    if len(letters) >= _SHOUT_MIN_LETTERS and sum(map(str.isupper, letters)) >= _SHOUT_RATIO * len(letters):
        negative += _W_SHOUT
        hits.cues.append("shouting")
    positive = _W_PRAISE * ("praise" in intents) + _W_POSITIVE * len(hits.get("positive"))
    positive += _W_EMOJI_POS * len(emoji.get("positive", []))
    # "no es nada agradable", "not acceptable", "não recomendo": a denied compliment is a complaint.
    negative += _W_NEGATED_POSITIVE * (
        len(hits.negated.get("praise", [])) + len(hits.negated.get("positive", []))
    )
    ironic = emoji.get("sarcasm") or hits.get("sarcasm", negatable=False)
    if negative and positive and ironic:
        hits.cues.append("sarcasm")
        negative, positive = negative + positive, 0.0
    if "spam" in intents:
        return "neutral", 0.0
    score = max(-1.0, min(1.0, (positive - negative) / (positive + negative + 1.0)))
    if negative >= 1.0 and negative >= positive:
        return "negative", score
    if positive >= 1.0 and positive > negative:
        return "positive", score
    return "neutral", score
