"""Logging for every `centinela` command: readable lines or JSON objects, quiet when all is normal.

`CENTINELA_LOG_FORMAT=json` writes one JSON object per line (time, level, logger, message and
every structured field passed with `extra=`), what log shippers index without a parser.
Libraries that report normal conditions as INFO are lowered: faiss logs "Could not load
library with AVX2 support" with a `ModuleNotFoundError` on every start when the CPU build
without AVX2 is the one installed, which reads like an error and is not one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

LogFormat = Literal["text", "json"]
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS: tuple[LogFormat, ...] = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers whose INFO lines describe normal operation of a library, not of Centinela: faiss's
# loader, aiohttp's access log (one line per request) and APScheduler's executors (two lines per
# run of every periodic job: the campaign sweep and the outage updates alone run every 15 s; a
# job that raises is still logged, at ERROR). `--log-level DEBUG` shows them all.
QUIET_LOGGERS = {
    "faiss.loader": logging.WARNING,
    "faiss": logging.WARNING,
    "aiohttp.access": logging.WARNING,
    "apscheduler.executors": logging.WARNING,
}

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the record's structured fields (`extra=`) as keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _plain(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    return value


def log_format_from_env() -> LogFormat:
    """`CENTINELA_LOG_FORMAT` (text by default); a bad value is a `ValueError` naming the choices."""
    value = os.environ.get("CENTINELA_LOG_FORMAT", "text").strip().lower() or "text"
    if value == "json":
        return "json"
    if value == "text":
        return "text"
    raise ValueError(f"CENTINELA_LOG_FORMAT must be one of {', '.join(FORMATS)}, got {value!r}")


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of the record (as `logging.lastResort`)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(level: str, log_format: LogFormat = "text", stream: TextIO | None = None) -> None:
    """Install our handler on the root logger (replacing the one an earlier call installed, and
    leaving other handlers alone) and quiet the libraries that are chatty at INFO."""
    handler = logging.StreamHandler(stream) if stream is not None else _CurrentStderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    setattr(handler, _MARK, True)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, _MARK, False):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet if root.level >= logging.INFO else logging.NOTSET)


_MARK = "_centinela_handler"
