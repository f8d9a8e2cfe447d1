"""Does the chosen article state the specific fact the customer asks for?

Both topic views of the KB step can be sure of the topic and still be wrong to answer: a
question on a topic the KB has, about a detail its article does not hold ("can I move the fibre
to another district, how much is it?" against the coverage article; "how many hours does the
decoder record?" against the decoder set-up article). LABELS.md sends those to a person
(`agent`: "a question the KB does not answer"), and the reply would be a page that does not
answer it. The embedding cannot see that, but the words can when the question asks for a
quantity: a price, a length of time, or a number of some unit. Such a question is answerable
only by an article that states one:

* a price ("cuánto cuesta / sale", "how much", "quanto custa", "¿tiene coste?", "is it free?")
  needs an amount or a currency in the article, or that it is free, included or at no (extra) cost;
* a length of time ("cuánto tarda", "how long", "quanto tempo") needs a number with a time unit;
* "cuántas horas / how many days / quantos meses" needs a number with that same unit.

Anything else (no quantity asked, or a count of things such as screens or characters) is not
judged here. 5-fold over train + dev: of the 332 automatic answers, 33 right ones asked a
quantity and their article stated it; the two out-of-KB details were held back (no right answer
was); over all 444 answerable messages with their labelled article, none would be held back.
Words are lower-cased with accents dropped, as `lexical_view` does, in es / en / pt.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_UNITS = {
    "hour": r"horas?|hours?|hrs?|h",
    "day": r"dias?|days?",
    "minute": r"minutos?|minutes?|mins?",
    "second": r"segundos?|seconds?|segs?|secs?",
    "week": r"semanas?|weeks?",
    "month": r"mes|meses|months?",
    "year": r"anos?|years?",
}
_NUMBER = (
    r"(?:\d+(?:[.,:]\d+)?|un|una|uno|um|uma|one|dos|dois|duas|two|tres|three|cuatro|quatro|four"
    r"|cinco|five|seis|six|siete|sete|seven|ocho|oito|eight|diez|dez|ten|doce|twelve)"
)
_ASKS_HOW_MANY = re.compile(r"\b(?:cuant[oa]s|quant[oa]s|how many)\s+(\w+)")
_ASKS_HOW_LONG = re.compile(
    r"\bcuanto (?:tiempo|tarda\w*|dura\w*|demora\w*)|\btarda cuanto\b|\bhow long\b"
    r"|\bquanto tempo\b|\b(?:demora|leva|dura) quanto\b"
)
_ASKS_PRICE = re.compile(
    r"\bcuant[oa]s? (?:cuesta\w*|sale\w*|vale\w*|cobra\w*|pag\w*)\b|\b(?:que|a que|cual es el) precio\b"
    r"|\bcuestan?\b|\b(?:tiene|tienen|hay) (?:coste|costo|cargo)\b"
    r"|\bhow much\b|\bwhat(?:'s| is| are)? the (?:price|cost)\b|\bcosts?\b"
    r"|\bquanto (?:custa\w*|sai|fica|cobra\w*|pag\w*)\b|\bcustam?\b|\bqual (?:e )?o (?:preco|valor)\b"
    r"|\btem (?:custo|taxa)\b|\bgratis\b|\bfree\b|\bgratuit\w*"
)
_STATES_PRICE = re.compile(
    r"[€$]|\b(?:euros?|pesos|reais|dolares|dollars|usd|mxn|brl|gratis|gratuit\w*|free|incluid\w*|included"
    r"|includes|incluso|inclui\w*)\b"
    r"|\b(?:no|sin|sem)(?: \w+)? (?:costs?|coste|costo|custo|charges?|cargos?)\b"
)


def fold(text: str) -> str:
    """Lower-cased, accents dropped: how both the question and the article are compared."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


_UNIT_WORD = {unit: re.compile(spelled) for unit, spelled in _UNITS.items()}
_STATES_UNIT = {unit: re.compile(rf"\b{_NUMBER}\s*(?:{spelled})\b") for unit, spelled in _UNITS.items()}


def _unit_named(word: str) -> str | None:
    return next((unit for unit, spelled in _UNIT_WORD.items() if spelled.fullmatch(word)), None)


@lru_cache(maxsize=256)
def _stated(article: str) -> tuple[frozenset[str], bool]:
    """The units an article states a number of, and whether it states a price (cached: few articles)."""
    text = fold(article)
    units = frozenset(unit for unit, states in _STATES_UNIT.items() if states.search(text))
    return units, _STATES_PRICE.search(text) is not None


def unstated(question: str, article: str) -> list[str]:
    """The kinds of quantity `question` asks for that `article` states none of ([] = nothing missing)."""
    asked = fold(question)
    if not (_ASKS_HOW_MANY.search(asked) or _ASKS_HOW_LONG.search(asked) or _ASKS_PRICE.search(asked)):
        return []  # the common case: no quantity asked, the article is not read
    units, price = _stated(article)
    missing = [
        unit
        for unit in map(_unit_named, _ASKS_HOW_MANY.findall(asked))
        if unit is not None and unit not in units
    ]
    if _ASKS_HOW_LONG.search(asked) and not units:
        missing.append("time")
    if _ASKS_PRICE.search(asked) and not price:
        missing.append("price")
    return missing
