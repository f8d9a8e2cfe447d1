"""The bundled sample KB, loaded once per test module and shared by each test's fresh service.

Embedding the KB and training its classifier takes tens of seconds on a busy machine; the
analyser holds no per-service state besides that model, so the adapter scenarios share one
(every other extension - spike detector, watchers - is new for each test).
"""

from __future__ import annotations

from bot.config import Settings
from bot.engine.extensions import build_extensions
from bot.engine.runtime import Extensions
from retrieval.kb_decision import KbAnalyser
from tests.paths import SAMPLE_KB


def sample_kb_analyser(settings: Settings) -> KbAnalyser:
    """The sample KB's analyser exactly as a service with `settings` builds it, so it loads from
    the run's KB cache (`CENTINELA_KB_CACHE_DIR`) what any earlier test embedded and trained."""
    kb = build_extensions(settings, SAMPLE_KB).kb
    assert isinstance(kb, KbAnalyser)
    return kb


def extensions_with(settings: Settings, analyser: KbAnalyser) -> Extensions:
    """Fresh extensions for `settings`, answering from the shared sample-KB analyser."""
    return build_extensions(settings, SAMPLE_KB, kb=analyser)
