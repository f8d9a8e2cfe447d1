"""Which optional parts plug into the pipeline, built from the settings."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from bot.config import SAMPLES_DIR, ConfigError, Settings
from bot.engine.runtime import Extensions
from bot.pipeline.spike_watch import SpikeAnalyser, SpikeWatcher
from bot.pipeline.spikes import SpikeDetector
from bot.warroom.thread_context import CrisisThreadWatcher
from retrieval.kb_decision import KbAnalyser
from retrieval.learned import DEFAULT_DIR, LearnedModels, ModelsError


def default_kb_dir() -> Path:
    return SAMPLES_DIR / "kb"


def build_extensions(settings: Settings, kb_dir: Path | None, *, kb: KbAnalyser | None = None) -> Extensions:
    """KB retrieval (when a KB folder is given) and spike detection.

    `kb` is an analyser of `kb_dir` already loaded (the tests share one across services).
    """
    analysers: list[KbAnalyser] = [] if kb is None else [kb]
    if kb_dir is not None and not kb_dir.is_dir():
        raise ConfigError(f"knowledge-base folder {kb_dir} does not exist")
    if kb_dir is not None and next(kb_dir.rglob("*.md"), None) is None:
        raise ConfigError(f"knowledge-base folder {kb_dir} holds no *.md article")
    if kb_dir is not None and kb is None:
        analysers.append(
            KbAnalyser(
                kb_dir,
                cache_dir=kb_cache_dir_for(settings, kb_dir),
                learned=load_learned(settings),
                # The reading helpers embed each claimed batch with this analyser's spec.
                queries_elsewhere=settings.reading_processes > 0,
            )
        )
    detector = SpikeDetector()
    return Extensions(
        analysers=[*analysers, SpikeAnalyser(detector)],
        watchers=[SpikeWatcher(), CrisisThreadWatcher()],
        brands=sorted(kb_brands(kb_dir)) if kb_dir is not None else [],
        embedder=analysers[0].query_embedder if analysers else None,
        kb=analysers[0] if analysers else None,
    )


def load_learned(settings: Settings) -> LearnedModels | None:
    """The learned models, or None when switched off; a broken model folder stops start-up."""
    if not settings.learned_models:
        return None
    folder = settings.learned_dir or DEFAULT_DIR
    try:
        return LearnedModels.load(folder)
    except ModelsError as exc:
        raise ConfigError(f"learned models in {folder}: {exc}") from exc


URL_HOST = re.compile(r"^url:\s*[\"']?https?://([^/\s\"']+)", re.MULTILINE)


def kb_brands(kb_dir: Path) -> set[str]:
    """The brand names in the KB's help-centre host names (ayuda.ondanet.example -> ondanet).

    The KB is the company's own, so its domain names the company: `@Brand` and `@Brand_XX`
    handles are then treated as our own accounts even before anyone lists them in the config.
    """
    brands: set[str] = set()
    for path in kb_dir.rglob("*.md"):
        for host in URL_HOST.findall(path.read_text(encoding="utf-8", errors="replace")[:2000]):
            labels = host.casefold().split(".")
            if len(labels) >= 2:
                brands.add(labels[-2])
    return brands


def kb_cache_dir_for(settings: Settings, kb_dir: Path) -> Path:
    """The cache folder of the KB at `kb_dir`: one per folder, so two KBs never share vectors."""
    return settings.kb_cache / hashlib.sha256(str(kb_dir.resolve()).encode()).hexdigest()[:12]
