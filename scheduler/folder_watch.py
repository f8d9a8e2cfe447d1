"""The watched campaigns folder (`CENTINELA_CAMPAIGNS_DIR`): each `*.yaml` file is a draft.

Marketers keep campaigns in files (under version control, reviewed like code); the leader reads
the folder on a schedule and defines each file through the same `CampaignBook.define` as the
API and CLI. An unchanged file is a no-op; an edited one becomes a draft again (approval is of
one content); a file with problems is logged with each problem and left out, once per content.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path

from scheduler.campaign_book import CampaignBook

log = logging.getLogger(__name__)


class CampaignFolder:
    """Defines the folder's campaign files as drafts; remembers bad contents to log them once."""

    def __init__(self, book: CampaignBook, folder: Path) -> None:
        self._book = book
        self._folder = folder
        self._reported: set[str] = set()

    async def scan(self) -> int:
        """Define every file; returns how many were stored or changed."""
        changed = 0
        files = await asyncio.to_thread(self._read_files)
        if files is None:
            log.warning("campaigns folder %s does not exist", self._folder)
            return 0
        for path, text in files:
            result = await self._book.define(text, actor="folder", source=str(path))
            if result.ok:
                changed += result.changed
                continue
            fingerprint = hashlib.sha256(f"{path}|{text}".encode()).hexdigest()
            if fingerprint in self._reported:
                continue
            self._reported.add(fingerprint)
            problems = result.plan.errors if result.plan is not None else []
            details = "; ".join(f"step {p.step} {p.channel} {p.lang}: {p.error}" for p in problems)
            log.warning(
                "campaign file %s not defined: %s%s", path, result.message, f" ({details})" if details else ""
            )
        return changed

    def _read_files(self) -> list[tuple[Path, str]] | None:
        """Each readable campaign file's text (in a thread: file reads block)."""
        if not self._folder.is_dir():
            return None
        found = []
        for path in sorted(self._folder.glob("*.y*ml")):
            try:
                found.append((path, path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                log.warning("campaign file %s unreadable: %s", path, exc)
        return found
