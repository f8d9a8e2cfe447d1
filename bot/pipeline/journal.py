"""Order-dependent pipeline steps, replayable on every replica from one shared journal.

Spike counts and the open-crisis memory depend on the order messages were decided in. With
several workers or replicas, each message is decided by one of them, yet every one must know
all of them: a spike counted half here and half there is two non-spikes. So such a step says
what it learnt from each message as a *fact* (plain JSON), and `bot.engine.decision_order`
hands every process the facts of the others, in the fleet's one decision order, before it
decides its next batch. Replaying a fact must change the step's state exactly as deciding the
message did, and nothing else (no alert, no effect: the replica that decided it made those).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

Fact = list[Any]
"""One JSON array per message, in the step's own layout."""


@runtime_checkable
class Journaled(Protocol):
    """A pipeline step whose state must be the same on every replica."""

    @property
    def journal_name(self) -> str:
        """Names this step's facts in the shared journal (unique per step)."""
        ...

    def take_facts(self) -> list[Fact]:
        """The facts learnt since the last call, in decision order; the step forgets them."""
        ...

    def apply_facts(self, facts: Sequence[Fact]) -> None:
        """Learn what another replica decided, as if this step had seen those messages."""
        ...
