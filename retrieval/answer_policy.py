"""When the KB step may answer on its own: the gate's settings, and why each is there.

Safety before coverage (issue 10: on messages written by others, close topics were confused):
an automatic answer also needs both views to pick the same topic on their own (retrieval's top
article and the classifier's top topic are the chosen topic: `agree`), a lead of `min_lead` in
confidence over the nearest other topic, the learned P(complaint) below `max_complaint`
(`retrieval/learned`), and the learned action model rating `answer` its most likely action
(`answer_on_top`) and at least `min_p_answer`: on train+dev (5-fold) a third of the wrong
automatic answers were messages that model rated more likely case, monitor or agent. The floor
was 0.5 before the top-class condition: a question it rates 0.45 answer, 0.30 agent is one it
prefers to answer (on the 5-fold run's evidence: 7 more right answers at 0.3, no wrong one).
`answer_over_action`: and more likely than the two actions in which the company must act,
`case` and `crisis`, together: a message the model reads as more probably a complaint than a
question gets no automatic reply even when `answer` is its single top class (5-fold: it held
back one wrong answer, a disputed early-termination fee, and no right one).
`agent_on_top` (off, eighth round): the action model's `agent` class is mostly "a question the
KB does not answer" (requests for a person, sales and vague messages are vetoed by their
intents), which the topic views, with their `none` class and the KB in hand, judge better than a
model that never saw the KB; so `answer` must top case, crisis and monitor, not agent (5-fold:
6 more right answers, no wrong one; dev 1 more).
The classifier also learns from the embedded answer and agent messages of `train.jsonl` that
the learned models ship, so informal phrasings find their topic. Last, `stated_details`: a
question asking for a price, a length of time or a number of hours / days gets no automatic
reply from an article that states none (`retrieval/answerability.py`): a detail the KB does
not hold, on a topic it has.

`vote_confidence` (issue 10, eighth round): retrieval's share in the confidence and the lead is
its vote (`topic_views.topic_vote`: the nearest articles *and* example phrasings), the same view `agree` asks,
instead of a softmax over the articles alone. An informal question is usually far from every
article's wording and near real customers' phrasings: the articles' softmax split it between two
topics (confidence under 0.50) while the vote and the classifier both named the right one.
5-fold over train+dev: coverage 0.739 -> 0.777, answer precision 0.988 -> 0.989, unsafe 4 -> 4;
dev 0.824 -> 0.852 at precision 1.0.

`word_tiebreak` (issue 10, branch cov10b): when the two views disagree but one names the chosen
topic, the word view (`lexical_view`, independent of the embedding both views read) may side with
it, so two of three witnesses name the topic; then the confidence and the lead are the siding
view's own (`kb_confidence.one_view`), not a mean the outvoted view pulled down. Not when the
other view is retrieval's `none`. Every other condition (thresholds, vetoes, action and complaint
models, split vote, stated details) still applies. 5-fold: 8 more right answers, no wrong one
(coverage 0.791 -> 0.809); dev unchanged.

`question_mass` (issue 10, tenth round, branch cov10c): the step after `agent_on_top`. The
action model's `agent` class is mostly "a question the KB does not answer", so a KB question on
a topic train.jsonl asks little about (an e-invoice, an outage map by region, who must be home
for the installation) gets most of its mass as `agent`, and its P(answer) fell under the floor
or under monitor even when both topic views named the topic with confidence. Now `answer` and
`agent` together (a question that wants a reply) meet the floor, top case, crisis and monitor
and outweigh case + crisis; whether the KB answers it stays the topic views' call (their `none`
class, the confidence, the lead, the words, the stated details). No threshold moved.

`case_side` (issue 10, branch case10): LABELS.md's close topics whose look-alike is a `case`:
`kb-bill-explained` against a disputed, wrong, double or unrecognised charge, `kb-speed-test`
against a measured under-delivery. When the chosen topic is one of them and the message states
its look-alike (`retrieval/case_side.py`), no automatic answer, and the rule
`case-side-of-a-topic` opens a case. Fourteenth round: a disputed charge is also the look-alike
of every other billed service's article (`BILLED_TOPICS`: roaming, bundles, add-ons, the
contract, the line pause, the promotion), as LABELS.md's case definition lists them.

`direction` (fourteenth round): a number coming to us is `kb-porting`, one leaving us is in
`kb-contract-cancel` ("¿te vas a otro operador? no pidas la baja"). When the message says which
way and the chosen article answers the other, a person answers, with both articles attached
(`retrieval/port_direction.py`).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from retrieval.case_side import DISPUTED_CHARGE, UNDER_DELIVERY
from retrieval.port_direction import JOINING, LEAVING

# KB topics about a service the customer is billed for, besides the bill itself: a message
# disputing what it cost is the case-side look-alike of each (`retrieval/case_side.py`).
BILLED_TOPICS = (
    "kb-roaming",
    "kb-data-bundles",
    "kb-addon-cancel",
    "kb-contract-cancel",
    "kb-line-pause",
    "kb-promo-may",
)

VETO_INTENTS = frozenset({"complaint", "already_tried", "human_request", "sales", "spam", "retweet", "vague"})


class AnswerPolicy(BaseModel):
    """When the KB step may answer on its own.

    How `min_confidence` was chosen (tuning used `../shared/eval/dev.jsonl` only; the classifier
    never sees dev text): run the dev set through the real pipeline with `min_confidence=0`,
    keep the messages that reach the `kb-answer` rule, and sweep the threshold in steps of 0.02
    from 0.50 up. The value is the lowest threshold whose automatic answers keep precision
    ≥ 0.97 *and* whose next two steps up do too (so it does not sit on a lucky point). The sweep
    starts at 0.50 by design, not by tuning: the confidence is a probability, and below one half
    the bot itself rates the answer more likely wrong than right. Result (with
    `retrieval_temperature=30` and the classifier settings in `ClassifierConfig`): 0.50, answer
    precision 1.000 (95/95) and coverage 0.880 on dev; 0.52 the same, 0.54-0.58 0.861 at 1.000.
    Below the floor dev alone would allow more (0.40: 99/100, 0.20: 100/103) but those answers
    rest on views that disagree; keep the floor when retuning. Retune threshold and classifier
    together. `min_score` is a floor on the chosen topic's best chunk cosine (with
    `phrasing_floor`, or its nearest example phrasing's): below it the message is about
    something else whatever the classifier says.
    """

    min_confidence: float = Field(
        0.50, ge=0.0, le=1.0, description="mean of classifier and in-KB-weighted retrieval P(topic)"
    )
    min_score: float = Field(0.35, description="cosine of the chosen topic's best chunk")
    retrieval_temperature: float = Field(30.0, gt=0, description="softmax sharpness over topic rank scores")
    search_k: int = Field(10, ge=1, description="articles retrieved per message")
    primary_language: str = Field("es", description="article language used when the customer's is missing")
    min_lead: float = Field(
        0.2, ge=0.0, le=1.0, description="confidence of the chosen topic minus the nearest other topic's"
    )
    tried_complaint: float = Field(
        0.2, ge=0.0, le=1.0, description="'already tried' vetoes an answer only from this P(complaint)"
    )
    model_question: float = Field(
        0.8, ge=0.0, le=1.0, description="P(answer) that counts as a question without a question mark"
    )
    min_p_answer: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="the action model must also rate 'answer' (+ 'agent': `question_mass`) this likely",
    )
    answer_on_top: bool = Field(True, description="and rate 'answer' at least as likely as any other action")
    agent_on_top: bool = Field(
        False,
        description="whether 'agent' is among those actions (whether the KB answers is the views' call)",
    )
    answer_over_action: bool = Field(
        True, description="and rate 'answer' at least as likely as 'case' and 'crisis' together"
    )
    question_mass: bool = Field(
        True,
        description="'answer' and 'agent' count together against the floor and the other actions"
        " (unless `agent_on_top`)",
    )
    max_complaint: float = Field(
        0.5, ge=0.0, le=1.0, description="learned P(complaint) at or above which no automatic answer"
    )
    vote_confidence: bool = Field(
        True, description="retrieval's share in the confidence is the vote over articles and example texts"
    )
    stated_details: bool = Field(
        True,
        description="a question asking for a price, a time or a count of hours needs an article stating one",
    )
    split_vote: float = Field(
        0.75,
        ge=0.0,
        le=1.0,
        description="below this share of the retrieval vote, the words must not name another article",
    )
    phrasing_floor: bool = Field(
        True, description="`min_score` may be met by the nearest example phrasing of the topic too"
    )
    word_tiebreak: bool = Field(
        True, description="when the two topic views disagree, the words may side with the chosen topic's"
    )
    word_phrasings: bool = Field(
        True, description="the words read a topic's example phrasings in a language it has no article in"
    )
    direction: dict[str, str] = Field(
        default_factory=lambda: {"kb-porting": JOINING, "kb-contract-cancel": LEAVING},
        description="KB topic -> the way a number moves in what its article answers"
        " (`retrieval/port_direction.py`); {} = off",
    )
    case_side: dict[str, str] = Field(
        default_factory=lambda: {
            "kb-bill-explained": DISPUTED_CHARGE,
            "kb-speed-test": UNDER_DELIVERY,
            # A disputed charge is a case whichever billed service it names (LABELS.md: a wrong
            # bill, an unrecognised charge, an add-on or contract cancelled but still billed).
            **{topic: DISPUTED_CHARGE for topic in BILLED_TOPICS},
        },
        description="KB topic -> its look-alike that gets no answer (`retrieval/case_side.py`); {} = off",
    )
