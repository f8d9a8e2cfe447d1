"""The word-level view that a split retrieval vote consults before an automatic answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import cast

from bot.core.context import MessageContext
from retrieval.answer_policy import AnswerPolicy
from retrieval.articles import Article
from retrieval.kb_decision import KbAnalyser
from retrieval.knowledge_base import KnowledgeBase
from retrieval.lexical_view import LexicalView, stems
from tests.paths import ROOT, SHARED
from tests.unit.retrieval.conftest import context


def article(article_id: str, lang: str, title: str, body: str) -> Article:
    return Article(
        id=article_id,
        lang=lang,
        title=title,
        url=f"https://help.example/{lang}/{article_id}",
        body=body,
        path=Path(f"{article_id}.md"),
        content_hash="0" * 64,
    )


ARTICLES = [
    article("kb-esim-en", "en", "Activate an eSIM", "Scan the QR code to activate your eSIM on the phone."),
    article("kb-esim-es", "es", "Activar una eSIM", "Escanea el código QR para activar la eSIM."),
    article(
        "kb-store-hours-en",
        "en",
        "Store opening hours",
        "Walk into any store without booking; stores open at nine. Bring ID for a new SIM card.",
    ),
]


def test_stems_fold_case_and_accents_and_drop_short_words() -> None:
    assert stems("¿Cancelación del DECODIFICADOR? sí") == {"cance", "decod"}


def test_a_message_whose_rare_words_belong_to_another_article_names_it() -> None:
    view = LexicalView(ARTICLES)
    text = "gotta get a new sim, can i just walk into a store or do i have to book something"
    assert view.other_topic(text, "en", "kb-esim") == "kb-store-hours-en"
    assert view.other_topic(text, "en", "kb-store-hours") is None


def test_no_say_when_the_chosen_topic_has_no_article_in_the_language() -> None:
    view = LexicalView(ARTICLES)
    assert view.other_topic("walk into a store to book", "pt", "kb-esim") is None
    assert view.other_topic("¿puedo ir a una tienda sin cita?", "es", "kb-store-hours") is None


def split_vote(share: float, text: str) -> tuple[KbAnalyser, MessageContext]:
    analyser = KbAnalyser(Path("unused"), policy=AnswerPolicy())
    ctx = context(text)
    ctx.language = "en"
    ctx.kb_evidence = {"topic": "kb-esim", "vote_share": share}
    return analyser, ctx


def test_a_split_vote_is_held_back_when_the_words_name_another_article() -> None:
    kb = cast(KnowledgeBase, type("Snapshot", (), {"articles": ARTICLES})())
    text = "can i just walk into a store for a new sim or do i have to book"
    analyser, ctx = split_vote(0.6, text)
    assert analyser.gate.words_disagree(kb, ctx, text)
    assert ctx.kb_evidence["lexical_top"] == "kb-store-hours-en"
    # A clear vote is not second-guessed by the words.
    analyser, ctx = split_vote(0.9, text)
    assert not analyser.gate.words_disagree(kb, ctx, text)
    assert "lexical_top" not in ctx.kb_evidence


def test_the_words_name_a_topic_only_when_its_article_shares_the_most_rare_words() -> None:
    view = LexicalView(ARTICLES)
    text = "can i walk into a store without booking?"
    assert view.names(text, "en", "kb-store-hours")
    assert not view.names(text, "en", "kb-esim")
    assert not view.names("hello there", "en", "kb-store-hours")  # no shared word: no say
    assert not view.names(text, "pt", "kb-store-hours")  # no article in the language


BUNDLES = article(
    "kb-data-bundles-es",
    "es",
    "Bonos de datos extra",
    "Cuando gastas los datos de tu tarifa, añade un bono en Mi Ondanet; el bono se cobra en la factura.",
)
PHRASINGS = {
    "kb-data-bundles": [
        "I used up my mobile data, how do I top up?",
        "meus dados acabaram, como compro mais?",
    ],
    "kb-not-in-this-kb": ["how do I top up my mobile data?"],
}


def test_a_topic_without_an_article_in_the_language_is_named_by_its_phrasings() -> None:
    text = "ran out of mobile data halfway through the month, how do i top up"
    view = LexicalView([*ARTICLES, BUNDLES], PHRASINGS)
    assert view.names(text, "en", "kb-data-bundles")
    # Only the KB's own languages: with no Portuguese article at all, no Portuguese document.
    assert not view.names("meus dados acabaram, como compro mais?", "pt", "kb-data-bundles")
    # Without the phrasings the words have no say there, as before.
    assert not LexicalView([*ARTICLES, BUNDLES]).names(text, "en", "kb-data-bundles")
    # The phrasings must still share more rare words than another topic's article.
    assert not view.names("can i walk into a store without booking?", "en", "kb-data-bundles")
    # Phrasings of a topic this KB does not have name nothing; they do not veto either.
    assert not view.names(text, "en", "kb-not-in-this-kb")
    assert view.other_topic(text, "en", "kb-data-bundles") is None
    # A topic with an article in the language is compared by its article alone.
    store = "can i walk into a store without booking?"
    assert view.names(store, "en", "kb-store-hours") and not view.names(store, "en", "kb-esim")


def test_the_tie_break_hears_the_phrasings_of_a_topic_with_no_article_in_the_language() -> None:
    kb = cast(KnowledgeBase, type("Snapshot", (), {"articles": [*ARTICLES, BUNDLES]})())
    text = "ran out of mobile data, how do i top up"

    def views() -> tuple[KbAnalyser, MessageContext]:
        analyser = KbAnalyser(Path("unused"), policy=AnswerPolicy())
        analyser.gate.phrasings = PHRASINGS  # as `_train` sets them from the examples file
        ctx = context(text)
        ctx.language = "en"
        ctx.kb_evidence = {
            "topic": "kb-data-bundles",
            "retrieval_top": "kb-esim",
            "classifier_top": "kb-data-bundles",
        }
        return analyser, ctx

    analyser, ctx = views()
    assert analyser.gate.words_break_tie(kb, ctx, text)
    assert ctx.kb_evidence["words_agree"] is True
    analyser, ctx = views()
    analyser.policy = AnswerPolicy(word_phrasings=False)
    assert not analyser.gate.words_break_tie(kb, ctx, text)


def split_views(retrieval_top: str, classifier_top: str, text: str) -> tuple[KbAnalyser, MessageContext]:
    analyser = KbAnalyser(Path("unused"), policy=AnswerPolicy())
    ctx = context(text)
    ctx.language = "en"
    ctx.kb_evidence = {
        "topic": "kb-store-hours",
        "retrieval_top": retrieval_top,
        "classifier_top": classifier_top,
    }
    return analyser, ctx


def test_when_the_topic_views_disagree_the_words_break_the_tie() -> None:
    kb = cast(KnowledgeBase, type("Snapshot", (), {"articles": ARTICLES})())
    store = "can i walk into a store without booking?"
    analyser, ctx = split_views("kb-store-hours", "kb-esim", store)
    assert analyser.gate.words_break_tie(kb, ctx, store)
    assert ctx.kb_evidence["words_agree"] is True
    # The words side with the other view's topic: no tie broken.
    qr = "where do i scan the QR code to activate it?"
    analyser, ctx = split_views("kb-esim", "kb-store-hours", qr)
    assert not analyser.gate.words_break_tie(kb, ctx, qr)
    # Retrieval's vote says the KB does not answer: not a topic the words may outvote.
    analyser, ctx = split_views("none", "kb-store-hours", store)
    assert not analyser.gate.words_break_tie(kb, ctx, store)
    # Neither view names the chosen topic.
    analyser, ctx = split_views("kb-esim", "kb-esim", store)
    assert not analyser.gate.words_break_tie(kb, ctx, store)
    analyser, ctx = split_views("kb-store-hours", "kb-esim", store)
    analyser.policy = AnswerPolicy(word_tiebreak=False)
    assert not analyser.gate.words_break_tie(kb, ctx, store)


TIE = """
from retrieval.articles import load_articles
from retrieval.lexical_view import LexicalView
view = LexicalView(load_articles(__import__("pathlib").Path(r"{kb}")).articles)
text = "Off to Chile next month, what does Ondanet charge for data over there?"
print(view.other_topic(text, "en", "kb-roaming"), view.names(text, "en", "kb-roaming"))
"""


def test_a_tie_between_two_articles_is_a_tie_whatever_the_string_hash() -> None:
    # The roaming and cancellation articles share exactly the same rare words with this message.
    # Summed in a set's order (which follows PYTHONHASHSEED) the two totals could differ in the
    # last bit: in some runs the words sided with roaming (or named the cancellation article), in
    # others with neither.
    script = TIE.format(kb=SHARED / "eval" / "kb")
    seen = set()
    for seed in range(16):
        env = os.environ | {"PYTHONHASHSEED": str(seed), "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        seen.add(done.stdout.strip())
    assert seen == {"None False"}
