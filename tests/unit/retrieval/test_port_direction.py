"""Which way a number moves: a leaver's question is not the porting-in article's, nor a newcomer's
the cancellation article's (`retrieval/port_direction.py`, `AnswerGate.wrong_direction`)."""

from __future__ import annotations

import pytest

from retrieval.answer_gate import AnswerGate
from retrieval.answer_policy import AnswerPolicy
from retrieval.port_direction import JOINING, LEAVING, direction
from tests.unit.retrieval.conftest import context


@pytest.mark.parametrize(
    ("text", "way"),
    [
        ("Me voy a otra compañía: ¿pido la baja primero? Quiero mantener mi número", LEAVING),
        ("switching carriers next month, do i cancel ondanet first or does the new company do it?", LEAVING),
        ("I'm moving to another provider and want to keep my number", LEAVING),
        ("vou mudar pra outra operadora e quero manter meu número", LEAVING),
        ("quiero dejar Ondanet pero conservar el número del móvil", LEAVING),
        ("me quiero pasar con vosotros y traerme el número, ¿cómo va?", JOINING),
        ("thinking of switching to Ondanet, can I bring my number?", JOINING),
        ("quero trazer meu número da Vivo pra vocês", JOINING),
        ("Estoy pensando en pasarme con ustedes, ¿tengo que cancelar con mi compañía actual?", JOINING),
        # Neither way named, or both: not judged.
        ("¿cuánto tarda la portabilidad?", None),
        ("how do I cancel my contract?", None),
        ("do i cancel my old carrier first or do you handle it", None),
        ("me paso a Ondanet desde otra compañía, ¿el nuevo operador se encarga?", None),
    ],
)
def test_the_way_a_number_moves(text: str, way: str | None) -> None:
    assert direction(text) == way


def test_an_article_for_the_other_way_is_withheld_and_says_why() -> None:
    gate = AnswerGate(AnswerPolicy())
    leaver = context("Me cambio a otro operador pero quiero mantener mi número, ¿pido la baja antes?")
    assert gate.wrong_direction(leaver, leaver.text, "kb-porting")
    assert leaver.kb_evidence["direction"] == LEAVING
    assert not gate.wrong_direction(leaver, leaver.text, "kb-contract-cancel")
    newcomer = context("me quiero pasar con vosotros y traerme el número")
    assert gate.wrong_direction(newcomer, newcomer.text, "kb-contract-cancel")
    assert not gate.wrong_direction(newcomer, newcomer.text, "kb-porting")
    # Another topic, or the check off: nothing withheld.
    assert not gate.wrong_direction(leaver, leaver.text, "kb-roaming")
    assert not AnswerGate(AnswerPolicy(direction={})).wrong_direction(leaver, leaver.text, "kb-porting")
