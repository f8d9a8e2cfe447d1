"""The checks between a found topic and an automatic answer, in the order the KB step asks them.

Why a module of its own: the KB step (`retrieval.kb_decision`) finds the topic and its article;
whether the bot may then answer in public is a separate question with its own evidence: the
policy's thresholds and vetoes (`retrieval.answer_policy`), the word view as a third witness
(`retrieval.lexical_view`), details the article never states (`retrieval.answerability`) and the
case-side look-alikes of close topics (`retrieval.case_side`). Each check that holds an answer
back writes why into the message's KB evidence, for the person who picks it up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.context import MessageContext
from bot.core.models import ACTIONS
from retrieval.answer_policy import VETO_INTENTS, AnswerPolicy
from retrieval.answerability import unstated
from retrieval.case_side import case_side as states_case
from retrieval.kb_classifier import NONE
from retrieval.kb_confidence import Assessment
from retrieval.knowledge_base import KnowledgeBase
from retrieval.lexical_view import LexicalView
from retrieval.port_direction import direction as port_direction


class AnswerGate:
    """The answer checks under one `AnswerPolicy`, with the word view of the current KB snapshot."""

    def __init__(self, policy: AnswerPolicy, phrasings: Mapping[str, Sequence[str]] | None = None) -> None:
        self.policy = policy
        # The KB's example phrasings by topic (set by the KB step when it trains a snapshot):
        # the word view names a topic by them in a language where it has no article
        # (`lexical_view`, `AnswerPolicy.word_phrasings`).
        self.phrasings: Mapping[str, Sequence[str]] = phrasings or {}
        self._lexical: tuple[KnowledgeBase, Mapping[str, Sequence[str]] | None, LexicalView] | None = None

    def withholds(
        self, kb: KnowledgeBase, ctx: MessageContext, text: str, article_id: str, topic: str | None
    ) -> bool:
        """The chosen article would not answer this message: a detail it never states, or the
        message is the case-side look-alike of its topic."""
        if self.policy.stated_details and self.detail_unstated(kb, ctx, text, article_id):
            return True
        return self.case_side(ctx, text, topic) or self.wrong_direction(ctx, text, topic)

    def answerable(self, ctx: MessageContext, found: Assessment) -> bool:
        """Sure enough, nothing vetoes it, both views (or the words) agree, and the models read a question."""
        policy = self.policy
        if found.topic is None or found.confidence < policy.min_confidence or found.score < policy.min_score:
            return False
        vetoes = ctx.intents & VETO_INTENTS
        if ctx.model_p and vetoes == {"already_tried"} and ctx.model_p["complaint"] < policy.tried_complaint:
            vetoes = frozenset()  # "again", "already": the model reads no complaint in it, only a question
        if vetoes or ctx.risks:
            return False
        views = ctx.kb_evidence
        if not (views["agree"] or views.get("words_agree")) or views["lead"] < policy.min_lead:
            return False
        if ctx.model_p and not self.model_reads_a_question(ctx.model_p):
            return False
        return "question" in ctx.intents or ctx.model_p.get("answer", 0.0) >= policy.model_question

    def model_reads_a_question(self, p: dict[str, float]) -> bool:
        """The learned models read a question, not a complaint, a crisis or chatter.

        With `question_mass` the action model's `answer` and `agent` count together where they
        meet the floor and the other actions: both are "a question that wants a reply", and
        which of them it is (whether the KB answers it) is the topic views' call, made with the
        KB and their `none` class, not a model that never saw the KB (`answer_policy`).
        """
        policy = self.policy
        question_mass = policy.question_mass and not policy.agent_on_top
        asked = p["answer"] + (p["agent"] if question_mass else 0.0)
        rivals = ACTIONS if policy.agent_on_top else tuple(a for a in ACTIONS if a not in ("answer", "agent"))
        return not (
            p["complaint"] >= policy.max_complaint
            or asked < policy.min_p_answer
            or (policy.answer_on_top and asked < max(p[a] for a in rivals))
            or (policy.answer_over_action and asked < p["case"] + p["crisis"])
        )

    def words_disagree(self, kb: KnowledgeBase, ctx: MessageContext, text: str) -> bool:
        """A split vote whose message shares more rare words with another article (`lexical_view`).

        5-fold over train + dev: at 0.75 it held back 3 of the 7 wrong automatic answers
        (a decoder "Wi-Fi or cable?" answered with the Wi-Fi article, "walk into a store for a
        new SIM" with eSIM, a Wi-Fi generation question the KB does not answer) and 3 right ones.
        """
        evidence = ctx.kb_evidence
        if evidence.get("vote_share", 1.0) >= self.policy.split_vote:
            return False
        other = self._lexical_view(kb).other_topic(text, ctx.language, str(evidence["topic"]))
        if other is None:
            return False
        ctx.kb_evidence = evidence | {"lexical_top": other}
        return True

    def words_break_tie(self, kb: KnowledgeBase, ctx: MessageContext, text: str) -> bool:
        """The two topic views disagree, one names the chosen topic and the words side with it.

        Both views read the same embedding, so when they part the words are the independent
        third witness (`lexical_view`): two of three name the topic, and the confidence and lead
        become the siding view's own (`one_view`): the dissenter's low figure is the disagreement
        the words resolved. Not when the other view is retrieval's `none` (its vote says the KB
        does not answer: that is no topic to outvote).
        """
        evidence = ctx.kb_evidence
        tops = (evidence.get("retrieval_top"), evidence.get("classifier_top"))
        topic = str(evidence["topic"])
        if not self.policy.word_tiebreak or NONE in tops or topic not in tops:
            return False
        if not self._lexical_view(kb).names(text, ctx.language, topic):
            return False
        ctx.kb_evidence = evidence | {"words_agree": True}
        return True

    def _lexical_view(self, kb: KnowledgeBase) -> LexicalView:
        """The word view of this snapshot, built on first use and after a reload."""
        phrasings = self.phrasings if self.policy.word_phrasings else None
        if self._lexical is None or self._lexical[0] is not kb or self._lexical[1] is not phrasings:
            self._lexical = (kb, phrasings, LexicalView(kb.articles, phrasings))
        return self._lexical[2]

    def detail_unstated(self, kb: KnowledgeBase, ctx: MessageContext, text: str, article_id: str) -> bool:
        """The message asks for a price, a time or a number of hours / days the article never states.

        A question on a KB topic about a detail the KB does not hold goes to a person, with the
        article attached (`retrieval/answerability.py`; 5-fold: 2 of the 4 wrong answers left).
        """
        article = kb.article(article_id)
        if article is None:
            return False
        missing = unstated(text, " ".join([article.title, *article.questions, article.body]))
        if missing:
            ctx.kb_evidence = ctx.kb_evidence | {"unstated": missing}
        return bool(missing)

    def wrong_direction(self, ctx: MessageContext, text: str, topic: str | None) -> bool:
        """The article answers a number moving one way and the message moves it the other: a
        leaver's "do I cancel first?" against the porting-in article (`retrieval/port_direction.py`)."""
        answers = self.policy.direction.get(topic or "")
        if answers is None:
            return False
        told = port_direction(text)
        if told is None or told == answers:
            return False
        ctx.kb_evidence = ctx.kb_evidence | {"direction": told}
        return True

    def case_side(self, ctx: MessageContext, text: str, topic: str | None) -> bool:
        """The message is the case-side look-alike of its topic: a disputed charge against the
        bill article, a measured under-delivery against the speed test (`retrieval/case_side.py`)."""
        kind = self.policy.case_side.get(topic or "")
        if kind is None or not states_case(kind, text):
            return False
        ctx.kb_evidence = ctx.kb_evidence | {"case_side": kind}
        return True
