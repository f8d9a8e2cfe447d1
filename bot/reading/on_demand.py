"""A text reader whose language models load on first use: the worker's when helpers read.

Why: with the KB on, the reading helpers read and embed every claimed batch
(`bot.reading.pool`), so the worker process reads a text itself only when no helper could
(one died, or hung). Building the `TextReader` eagerly would keep a second copy of the
language detector's models (lingua, about 110 MB that are not given back once loaded) in
every worker for that rare case. Built on demand, the copy exists only once it is needed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from bot.reading.text_reading import TextReader, TextReading

log = logging.getLogger(__name__)


class OnDemandReader:
    """`TextReader.read`, with the reader built (once, thread-safe) at the first call."""

    def __init__(self, languages: Sequence[str], default: str) -> None:
        self._languages = tuple(languages)
        self._default = default
        self._reader: TextReader | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether this process has built its own reader (and loaded the language models)."""
        return self._reader is not None

    def read(self, raw_text: str, preferred: str | None = None) -> TextReading:
        reader = self._reader if self._reader is not None else self._build()
        return reader.read(raw_text, preferred)

    def _build(self) -> TextReader:
        with self._lock:
            if self._reader is None:
                log.info("reading a text in the worker: loading the language models here too")
                self._reader = TextReader.for_languages(self._languages, self._default)
            return self._reader
