"""Argument types and the parser class of the `centinela` command.

A newcomer's typo must end in one line that says what was wrong and exit status 2, never a
traceback: argparse's own `error` prints the whole usage first, and a `type=` that raises
anything but `ArgumentTypeError`/`ValueError` escapes as a traceback. So each type here
checks what the command will need (a file that exists, a folder with articles, a speed) and
says what it wanted, and `CliParser.error` prints a single line.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextvars import ContextVar
from pathlib import Path
from typing import NoReturn

from bot.cli.logs import LEVELS


class CliError(Exception):
    """A problem the user can fix (bad argument, missing file, busy port): one line, exit 2.

    `field` names the argument or setting, for the `--json` error object.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def error_object(message: str, field: str | None) -> dict[str, str | None]:
    """The one error shape of the HTTP API and of every `--json` output."""
    return {"error": message, "field": field}


def report_error(message: str, field: str | None, *, as_json: bool) -> int:
    """One readable line on stderr (and the JSON error object on stdout with `--json`); exit 2."""
    print(f"centinela: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps(error_object(message, field), ensure_ascii=False))
    return 2


# Whether the command line being parsed asked for `--json` (set by `bot.cli.main` from the
# arguments it parses, so in-process callers with their own argv get the right shape too).
JSON_ERRORS: ContextVar[bool] = ContextVar("centinela_json_errors", default=False)


class CliParser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors are one line (plus the JSON object with `--json`)."""

    def error(self, message: str) -> NoReturn:
        field = None
        if message.startswith("argument "):
            field = message[len("argument ") :].split(":", 1)[0].split("/")[0].strip()
        text = f"{self.prog}: {message} (see '{self.prog} --help')"
        as_json = JSON_ERRORS.get()
        print(text, file=sys.stderr)
        if as_json:
            print(json.dumps(error_object(text, field), ensure_ascii=False))
        raise SystemExit(2)


def existing_file(value: str) -> Path:
    path = Path(value)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such file: {value}")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"not a file: {value}")
    return path


def existing_dir(value: str) -> Path:
    path = Path(value)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {value}")
    return path


def kb_folder(value: str) -> Path:
    """A folder holding at least one `*.md` article (FORMATS.md "Knowledge base")."""
    path = Path(value)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such knowledge-base folder: {value}")
    if next(path.rglob("*.md"), None) is None:
        raise argparse.ArgumentTypeError(f"knowledge-base folder {value} holds no *.md article")
    return path


def speed(value: str) -> float | None:
    """`max` (None: as fast as possible, on simulated time) or a positive factor of real time."""
    if value.strip().lower() == "max":
        return None
    try:
        factor = float(value)
    except ValueError:
        factor = 0.0
    if not factor > 0 or factor == float("inf"):
        raise argparse.ArgumentTypeError(
            f"must be a positive number (times real time) or 'max', got {value!r}"
        )
    return factor


def port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {value!r}")
    return number


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {value!r}")
    return number


def log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in LEVELS:
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(LEVELS)}, got {value!r}")
    return level


def message_key(value: str) -> str:
    channel, sep, ident = value.partition(":")
    if not (sep and channel and ident):
        raise argparse.ArgumentTypeError(f"must be a message key CHANNEL:ID, got {value!r}")
    return value
