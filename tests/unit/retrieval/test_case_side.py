"""The case-side check: a disputed charge is no bill-explained question, a measured
under-delivery no speed-test question (LABELS.md's close topics whose look-alike is a `case`).

Why: a public reply with the bill article to a customer disputing a charge ("I was overcharged
$45 on my last bill", P(complaint) 0.25) is the worst error the product makes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.answer_policy import BILLED_TOPICS, AnswerPolicy
from retrieval.case_side import DISPUTED_CHARGE, UNDER_DELIVERY, case_side
from retrieval.embedders import UsemEmbedder
from retrieval.kb_decision import KbAnalyser
from tests.paths import KB_SMALL
from tests.unit.retrieval.conftest import context


@pytest.mark.parametrize(
    ("text", "disputed"),
    [
        # The bill-explained side: why it is higher, what a line means.
        ("why is my bill higher this month?", False),
        ("What does 'prorated' mean on my bill?", False),
        ("¿Por qué pago más este mes?", False),
        ("¿qué es el prorrateo que sale en la factura?", False),
        ("por que minha primeira fatura veio mais alta?", False),
        ("o que é esse valor proporcional na fatura?", False),
        # The case side: double, wrong, unrecognised, or still billed after cancelling.
        ("me cobraron dos veces la factura", True),
        ("Me habéis cobrado de más este mes", True),
        ("tengo un cargo en la factura que no reconozco", True),
        ("cancelé el paquete de fútbol y me lo siguen cobrando", True),
        ("la factura es errónea, pone 80 €", True),
        ("I was overcharged $45 on my last bill", True),
        ("you charged me twice for May", True),
        ("there's an unrecognised charge on my bill", True),
        ("I cancelled the sports pack and I'm still being billed for it", True),
        ("fui cobrado duas vezes na fatura", True),
        ("tem uma cobrança indevida na minha fatura", True),
        ("apareceu um valor que eu não reconheço", True),
        # Charged for what the plan says it includes: a wrong bill on any billed service.
        ("my bill has seven Traveler Pass charges, Canada is supposed to work like home on my plan", True),
        ("me llegó un recibo de 2.300 por roaming si mi plan dice que EEUU es como en casa", True),
        ("me cobraron el bono pero se supone que era gratis el primer mes", True),
        ("cobraram o roaming na fatura mas deveria estar incluído no meu plano", True),
        ("seven Traveler Pass charges, I understood Canada was included. Could you reverse them?", True),
        ("can you refund the roaming charges from my trip?", True),
        ("¿me podéis anular los cargos del bono?", True),
        ("quero o estorno das cobranças do roaming", True),
        # ... and the questions beside them.
        ("how do I remove the sports package?", False),
        ("what are the fees for roaming in Mexico?", False),
        ("can I get a refund if I cancel within 14 days?", False),
        ("Vou pra Portugal em setembro, preciso ativar algo? Vão cobrar a mais?", False),
        ("¿me van a cobrar de más si uso datos en Francia?", False),
        ("me cobraron de más el roaming de Francia", True),
        ("cobraram a mais o roaming de Portugal", True),
        ("is roaming in Canada included in my plan?", False),
        ("how much is the traveler pass per day?", False),
        ("la factura de este mes, ¿cuándo llega si mi plan es prepago?", False),
        ("o roaming na Argentina está incluído no meu plano?", False),
    ],
)
def test_a_disputed_charge_is_told_from_a_question_about_the_bill(text: str, disputed: bool) -> None:
    assert case_side(DISPUTED_CHARGE, text) is disputed


@pytest.mark.parametrize(
    ("text", "short"),
    [
        # The speed-test side: how to measure, what is normal; one figure at most.
        ("how do I test my speed properly?", False),
        ("¿cuál es la forma correcta de medir la velocidad?", False),
        ("qual velocidade é normal no wifi 5G?", False),
        ("300 mbps plan and the laptop gets about 290 on cable, is that ok?", False),
        # The case side: a measured figure below the plan.
        ("did the speed test wired, 210 Mbps on a 1 Gig plan, send a tech", True),
        ("only getting 40 Mbps every evening", True),
        ("solo me llegan 50 megas por cable", True),
        ("tengo 600 megas contratados y me llegan 90 megas", True),
        ("só chega 100 mega pelo cabo", True),
        ("contratei 500 mb e o teste dá 120 mb", True),
        ("I'm not getting the speed I pay for", True),
    ],
)
def test_a_measured_under_delivery_is_told_from_a_speed_test_question(text: str, short: bool) -> None:
    assert case_side(UNDER_DELIVERY, text) is short


def test_an_unknown_kind_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="unknown"):
        case_side("late-refund", "anything")


async def test_the_kb_step_withholds_the_article_from_the_case_side_look_alike(
    usem: UsemEmbedder, kb_small_cache: Path
) -> None:
    """Through the KB step: the small KB has no bill article, so the payment topic stands in,
    named the way a deployment names its topics (`AnswerPolicy.case_side`)."""
    text = "how do I pay my bill with a card? the app shows a duplicate charge"
    analyser = KbAnalyser(KB_SMALL, cache_dir=kb_small_cache, embedder=usem)
    analyser.policy = AnswerPolicy(case_side={})
    ctx = context(text)
    await analyser.analyse(ctx)
    assert ctx.kb_answer is not None and ctx.kb_answer.topic == "kb-payment-methods"

    analyser.policy = AnswerPolicy(case_side={"kb-payment-methods": DISPUTED_CHARGE})
    ctx = context(text)
    await analyser.analyse(ctx)
    assert ctx.kb_answer is None
    assert ctx.kb_evidence["case_side"] == DISPUTED_CHARGE
    assert ctx.kb_candidates[0].topic == "kb-payment-methods"  # the article still goes to the person

    ctx = context("how do I pay my bill with a card?")
    await analyser.analyse(ctx)
    assert ctx.kb_answer is not None and "case_side" not in ctx.kb_evidence


def test_the_shipped_policy_names_the_kb_topics_of_labels_close_pairs() -> None:
    """The bill and the speed test (LABELS.md's close pairs), and every other billed service: a
    disputed charge is a case whichever article it resembles."""
    assert AnswerPolicy().case_side == {
        "kb-bill-explained": DISPUTED_CHARGE,
        "kb-speed-test": UNDER_DELIVERY,
        **{topic: DISPUTED_CHARGE for topic in BILLED_TOPICS},
    }
    assert {"kb-roaming", "kb-addon-cancel", "kb-data-bundles"} <= set(BILLED_TOPICS)
