"""What the learned models change on a message: sentiment, the complaint intent, `model_p`.

Why the learned sentiment replaces the lexicon's outright: the lexicon reads words, and the
messages it misses are the ones that describe what happened instead of naming a feeling
(two of three negative airline tweets read as neutral). The model's complaint intent replaces the
lexicon's too: on train.jsonl the lexicon called 31 answerable questions complaints ("¿hay
avería en Valencia?", "la esim es gratis o me la cobráis?") while missing complaints told as a
story. The lexicon's phrases are not thrown away: they become `complaint_words`, which the rules
send to `case` after the KB had its chance to answer (and which keeps a message out of
`monitor`): short outage reports such as "sin fibra en Usera" read to the model like the
pile-on chatter train.jsonl labels monitor. The risk lexicons are not touched: a word such as
"lawyer" or "smoke" must reach the war-room whatever a model thinks.
"""

from __future__ import annotations

from typing import cast

from bot.core.context import MessageContext
from bot.core.models import Sentiment
from retrieval.learned.models import Prediction

COMPLAINT = "complaint"
# The lexicon's complaint phrases, kept under their own name once the model owns `complaint`.
COMPLAINT_WORDS = "complaint_words"


def apply_prediction(ctx: MessageContext, prediction: Prediction, complaint_min: float) -> None:
    """Copy the models' reading onto the context (the rules read it from there)."""
    ctx.model_p = prediction.flat()
    ctx.sentiment = cast(Sentiment, prediction.sentiment_label)
    ctx.sentiment_score = prediction.sentiment.get("positive", 0.0) - prediction.sentiment.get(
        "negative", 0.0
    )
    intents = ctx.intents - {COMPLAINT}
    if COMPLAINT in ctx.intents:
        intents |= {COMPLAINT_WORDS}
    ctx.intents = intents | {COMPLAINT} if prediction.complaint >= complaint_min else intents
