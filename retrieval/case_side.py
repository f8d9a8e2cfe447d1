"""Is the message the case-side look-alike of the chosen topic, which no article answers?

LABELS.md names two KB topics whose look-alike is a `case`, not an answer: `kb-bill-explained`
(why is the bill higher, what is prorating) against a disputed, unrecognised, wrong or double
charge, or a cancelled service still billed; and `kb-speed-test` (how to measure, what is
normal) against a measured, persistent under-delivery ("210 Mbps on a 1 Gig plan", "solo me
llegan 50 megas", "só chega 100"). Both read alike to the embedding: same words (bill, charge,
speed, Mbps), opposite actions. A public reply with the article to someone disputing a charge is
the worst error the product makes, so the KB step withholds it and `case-side-of-a-topic` opens
a case. The same disputed charge is the look-alike of every billed service's article too
(`AnswerPolicy.case_side`, `BILLED_TOPICS`).

The words are written from LABELS.md's definitions, not read off misclassified messages, in es /
en / pt, on text folded as `answerability.fold` does (lower case, no accents). The reading
lexicons (`bot/reading/lexicons`) hold similar charge phrases as complaint words, but retrieval
imports only `bot.core` (`lint-imports`), and there they only weigh a complaint; here they say
which side of one topic pair the message is on. A question *why* a bill is higher, or how to
test the speed, states neither and stays answerable.
"""

from __future__ import annotations

import re

from retrieval.answerability import fold

DISPUTED_CHARGE = "disputed-charge"
UNDER_DELIVERY = "under-delivery"

_DISPUTED = re.compile(
    "|".join(
        [
            # es: cobrado dos veces / de más, doble cargo, cargo indebido / que no reconozco,
            # factura errónea, me siguen cobrando (lo cancelado).
            # Not the infinitive: "¿me van a cobrar de más?" asks, "me cobraron de más" disputes.
            r"\bcobr(?!ar\b)\w* (?:\w+ )?(?:dos veces|doble|de mas)\b",
            r"\b(?:doble|dos) (?:cobros?|cargos?|facturas?)\b",
            r"\b(?:cobros?|cargos?|importes?) (?:\w+ )?"
            r"(?:indebid\w*|duplicad\w*|desconocid\w*|erroneo\w*|incorrect\w*)\b",
            r"\b(?:cobros?|cargos?|importes?|conceptos?)\b(?: \S+){0,6}"
            r" que no (?:reconozco|reconocemos|corresponde)\b",
            r"\bno (?:reconozco|reconocemos) (?:\w+ ){0,2}(?:cobros?|cargos?|importes?|conceptos?)\b",
            r"\bfacturas? (?:\w+ )?(?:erronea|incorrecta|equivocada|mal hecha)s?\b",
            r"\berror(?:es)? en (?:la |mi )?factura\b",
            r"\b(?:siguen?|seguis|continuan?) (?:\w+ )?(?:cobrando|facturando)",
            # en: overcharged, charged / billed twice, double charge, wrong / unrecognised
            # charge, a charge I don't recognise, billing error, still being charged.
            r"\bover-?(?:charg|bill)\w*",
            r"\b(?:charged|billed)(?: me| us)? (?:twice|double|two times)\b",
            r"\bdouble[- ](?:charged|billed|charges?|billing)\b",
            r"\b(?:wrong|incorrect|bogus|mystery|unknown|unrecogni[sz]ed|unauthori[sz]ed|duplicate|fraudulent)"
            r" (?:\w+ )?(?:charges?|bills?|fees?|amounts?|billing)\b",
            r"\b(?:charges?|fees?)\b(?: \S+){0,6} (?:i|we) (?:don'?t|do not|never|didn'?t|did not)"
            r" (?:recogni[sz]e|authori[sz]e|order|sign|agree)",
            r"\b(?:don'?t|do not) recogni[sz]e (?:\w+ ){0,2}(?:charges?|fees?|amounts?)\b",
            r"\bbilling (?:error|mistake)s?\b",
            r"\b(?:bill|charge|amount)s? (?:is|was|are|were|looks) (?:wrong|incorrect)\b",
            r"\bstill (?:being |getting )?(?:charg|bill)\w*",
            # pt: cobrado duas vezes / a mais, cobrança indevida / em dobro / que não reconheço,
            # fatura errada, continuam cobrando.
            # Not the infinitive: "vão cobrar a mais?" asks, "cobraram a mais" disputes.
            r"\bcobr(?!ar\b)\w* (?:\w+ )?(?:duas vezes|em dobro|a mais)\b",
            r"\bcobrancas? (?:\w+ )?(?:indevid\w*|duplicad\w*|em dobro|desconhecid\w*|errad\w*)",
            r"\b(?:cobrancas?|valor(?:es)?)\b(?: \S+){0,6} que (?:eu )?nao reconhec\w*",
            r"\bnao reconhec\w* (?:\w+ ){0,2}(?:cobrancas?|valor(?:es)?)\b",
            r"\bfaturas? (?:\w+ )?(?:errad|incorret)\w*",
            r"\berro(?:s)? na fatura\b",
            r"\b(?:continuam?|seguem?) (?:me )?(?:cobrando|faturando)",
            # Charged for what the plan includes (LABELS.md: a wrong bill), in any of the three:
            # "seven Traveler Pass charges ... Canada is supposed to work like home on my plan",
            # "un recibo de 2.300 por roaming si mi plan dice que EEUU es como en casa".
            r"\b(?:charg\w*|bill\w*|fees?)\b(?: \S+){0,10} (?:is |was |are |were )?(?:supposed to|should)"
            r" (?:be |work )?(?:free|included|covered|like (?:at )?home)\b",
            r"\b(?:recibos?|factura\w*|cobr\w*|cargos?)\b(?: \S+){0,12} si (?:mi|el|la) (?:plan|tarifa)"
            r" (?:dice|incluye)\b",
            r"\b(?:recibos?|factura\w*|cobr\w*|cargos?)\b(?: \S+){0,10} (?:se supone que|deberia|tendria que)"
            r" (?:\S+ )?(?:gratis|incluid\w*|como en casa)\b",
            r"\b(?:faturas?|cobr\w*)\b(?: \S+){0,10} (?:se o meu plano (?:inclui|diz|tem)|(?:deveria|devia)"
            r" (?:ser |estar )?(?:gratis|incluid\w*|como em casa))\b",
            r"\b(?:charg\w*|bill\w*|fees?)\b(?: \S+){0,10} (?:i|we) (?:thought|understood|was told|were told)"
            r"(?: \S+){0,4} (?:was|were|is|are|would be) (?:included|free|covered)\b",
            # Asked to undo a charge: reverse, refund or waive it (LABELS.md: a disputed charge).
            r"\b(?:reverse|refund|waive) (?:\S+ ){0,3}(?:charges?|fees?|them)\b",
            r"\b(?:remove|take off) (?:\S+ ){0,3}(?:charges?|fees?)\b",
            r"\b(?:anul|devolv|reembols)\w* (?:\S+ ){0,3}(?:cargos?|cobros?|importes?)\b",
            r"\b(?:estorn|reembols|devolv)\w* (?:\S+ ){0,3}(?:cobrancas?|valor(?:es)?|taxas?)\b",
        ]
    )
)

# A speed figure: a number with a speed unit, in Mbps ("1 gig", "1gb", "300 megas", "210mbps").
_SPEED = re.compile(r"\b(\d+(?:[.,]\d+)?)\s*(gigas?|gigs?|gbps|gb|megas?|mbps|mb|megabits?)\b")
# A measured figure the customer says is all they get: "only getting 50", "solo me llegan 30".
_ONLY = re.compile(
    r"\b(?:only|just|barely) (?:getting |get |got |reaching |hitting )?(?:about |around )?\d+"
    r"|\bsolo (?:me |nos )?(?:llegan?|da|dan|tengo|alcanz\w*|marca\w*) (?:unos |unas |como )?\d+"
    r"|\bno (?:me )?(?:pasa|llega) de (?:los )?\d+"
    r"|\bso (?:me )?(?:chega\w*|vem|tenho|da|alcanc\w*|marca\w*) (?:uns |umas )?\d+"
    r"|\bapenas \d+|\bnao passa de \d+"
)
# The plan's speed, not reached, said without a figure.
_SHORT_OF_PLAN = re.compile(
    r"\bnot (?:getting|reaching) (?:the )?(?:speeds? )?(?:i|we) (?:pay|paid|am paying)"
    r"|\bno (?:me )?llega(?:n)? (?:a )?(?:la )?velocidad (?:contratada|que pago)"
    r"|\bnao (?:me )?chega (?:a )?velocidade (?:contratada|que pago)"
)


def _mbps(number: str, unit: str) -> float:
    value = float(number.replace(",", "."))
    return value * 1000 if unit.startswith("g") else value


def _measured_below_plan(text: str) -> bool:
    """Two speed figures and the smaller one is under 80% of the larger: a measurement against a
    plan ("210 Mbps on a 1 Gig plan", "50 megas de los 300"). A how-to question states one at most."""
    speeds = [_mbps(number, unit) for number, unit in _SPEED.findall(text)]
    return len(speeds) >= 2 and min(speeds) < 0.8 * max(speeds)


def case_side(kind: str, message: str) -> bool:
    """Whether `message` is the case-side look-alike `kind` names (DISPUTED_CHARGE, UNDER_DELIVERY)."""
    text = fold(message)
    if kind == DISPUTED_CHARGE:
        return _DISPUTED.search(text) is not None
    if kind == UNDER_DELIVERY:
        if _ONLY.search(text) or _SHORT_OF_PLAN.search(text):
            return True
        return _measured_below_plan(text)
    raise ValueError(f"unknown case-side kind {kind!r}")
