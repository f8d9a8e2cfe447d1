"""Opt-outs: a person who writes an opt-out keyword, in any language, gets no campaign message.

The keyword is a whole short message ("BAJA", "stop", "sair", "no quiero recibir más
mensajes"), as messaging platforms and regulators expect, compared after lower-casing and
removing accents and punctuation, so "¡Baja!" counts and "la baja de mi contrato" does not. The
watcher stores an `opt_out` record keyed by the person's digest in the same transaction as the
message's other effects, so the next sweep (and every later one) skips the person: it works at
once, on every replica.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from bot.core.context import MessageContext
from bot.core.digests import person_digest
from bot.core.effects import Effect, SaveRecord
from bot.core.models import Decision
from bot.core.records import RecordKind
from bot.reading.normalise import strip_accents
from bot.store.base import Store
from scheduler.segments import Recipient

OPT_OUT_PHRASES: Final[dict[str, tuple[str, ...]]] = {
    "es": ("baja", "darme de baja", "dame de baja", "no quiero recibir mas mensajes", "no mas mensajes"),
    "en": ("stop", "unsubscribe", "opt out", "stop messages", "no more messages"),
    "pt": ("sair", "parar", "descadastrar", "cancelar inscricao", "nao quero mais mensagens"),
}
_PHRASES: Final = frozenset(p for phrases in OPT_OUT_PHRASES.values() for p in phrases)
# A keyword message has at most a handful of words; combining marks of a decomposed text may
# split a word in two before accents are removed, so the bound leaves room for that.
_MAX_WORDS: Final = 2 * max(len(p.split()) for p in _PHRASES) + 2
# Matches at the start of a text of more than `_MAX_WORDS` words (runs of \w): one C call that
# stops at the word after the bound, no match object per word.
_TOO_MANY_WORDS: Final = re.compile(rf"\W*(?:\w+\W+){{{_MAX_WORDS}}}\w")


def is_opt_out(text: str) -> bool:
    """Whether the whole message is an opt-out keyword.

    Every message passes through here, and real messages are long: counting the first few words
    (in C, stopping early) rejects a long message before its accents are stripped.
    """
    if _TOO_MANY_WORDS.match(text) is not None:
        return False
    words = re.sub(r"[^\w\s]", " ", strip_accents(text.casefold())).split()
    return " ".join(words) in _PHRASES


class OptOutWatcher:
    """Records the opt-out of whoever sent an opt-out keyword."""

    async def watch(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        msg = ctx.message
        if ctx.author.own_account or not is_opt_out(msg.text):
            return []
        data = {
            "status": "opted_out",
            "channel": msg.channel,
            "message_key": msg.key,
            "at": msg.created_at.isoformat(),
        }
        record_id = person_digest(msg.channel, msg.author.handle)
        return [SaveRecord(kind=RecordKind.OPT_OUT, record_id=record_id, data=data, only_if_absent=False)]


async def without_opted_out(store: Store, people: Sequence[Recipient]) -> tuple[list[Recipient], int]:
    """Those who did not opt out, and how many did (one batch look-up)."""
    opted = await store.records.get_records(RecordKind.OPT_OUT, [p.digest for p in people])
    kept = [p for p in people if p.digest not in opted]
    return kept, len(people) - len(kept)
