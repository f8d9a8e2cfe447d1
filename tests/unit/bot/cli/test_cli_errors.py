"""Every mistake a newcomer makes on the command line ends in one readable line and exit 2.

Each case runs the real `centinela` entry point in a subprocess, as a user would, and asserts
the exit status, that no traceback escaped, and that the last line says what was wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.main import _parser, main
from tests.paths import KB_SMALL

GOOD_LINE = json.dumps(
    {
        "id": "m1",
        "channel": "twitter",
        "created_at": "2026-05-20T09:15:00Z",
        "author": {"handle": "@ana", "name": "Ana", "followers": 1, "verified": False},
        "text": "hola",
    }
)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def run_cli(
    args: list[str], tmp_path: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "CENTINELA_DATA_DIR": str(tmp_path / "var"),
        "CENTINELA_READING_PROCESSES": "0",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout,
        check=False,
    )


CASES: list[tuple[str, list[str], dict[str, str], str]] = [
    ("replay missing file", ["replay", "/no/such.jsonl"], {}, "no such file: /no/such.jsonl"),
    ("eval missing file", ["eval", "--kb", "{kb}", "--messages", "/no/such.jsonl"], {}, "no such file"),
    ("eval missing kb", ["eval", "--kb", "/no/kb", "--messages", "{traffic}"], {}, "no such knowledge-base"),
    ("eval without --kb", ["eval", "--messages", "{traffic}"], {}, "the following arguments are required"),
    ("replay bad speed", ["replay", "{traffic}", "--speed", "fast"], {}, "positive number (times real time)"),
    ("replay zero speed", ["replay", "{traffic}", "--speed", "0"], {}, "or 'max'"),
    ("bad log level", ["--log-level", "bogus", "kill-switch", "status"], {}, "DEBUG, INFO, WARNING"),
    ("bad log format", ["kill-switch", "status"], {"CENTINELA_LOG_FORMAT": "xml"}, "CENTINELA_LOG_FORMAT"),
    ("bad languages", ["kill-switch", "status"], {"CENTINELA_LANGUAGES": "es,english"}, "ISO 639-1"),
    ("languages not json", ["kill-switch", "status"], {"CENTINELA_LANGUAGES": "[es"}, "not valid JSON"),
    ("bad port setting", ["kill-switch", "status"], {"CENTINELA_PORT": "eighty"}, "port"),
    ("bad port option", ["serve", "--port", "99999"], {}, "port number from 0 to 65535"),
    ("busy port", ["serve", "--host", "127.0.0.1", "--port", "{busy}"], {}, "another process is listening"),
    ("empty kb", ["serve", "--kb", "{empty}"], {}, "holds no *.md article"),
    ("bogus draft status", ["drafts", "list", "--status", "bogus"], {}, "'pending', 'approved'"),
    ("k zero", ["kb", "search", "router", "-k", "0"], {}, "at least 1"),
    ("kb build missing folder", ["kb", "build", "/no/kb"], {}, "no such folder: /no/kb"),
    ("kb search missing folder", ["kb", "search", "router", "--kb", "/no/kb"], {}, "no such folder"),
    ("bad dead-letter key", ["dead-letters", "requeue", "nokey"], {}, "CHANNEL:ID"),
    ("unknown command", ["frobnicate"], {}, "invalid choice"),
    ("rules file missing", ["kill-switch", "status"], {"CENTINELA_RULES_FILE": "/no/rules.yaml"}, "rules"),
    ("config file missing", ["kill-switch", "status"], {"CENTINELA_CONFIG": "/no/c.yaml"}, "/no/c.yaml"),
]


@pytest.mark.parametrize(("args", "env", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_mistakes_end_in_one_line_and_exit_2(
    tmp_path: Path, busy_port: int, args: list[str], env: dict[str, str], words: str
) -> None:
    traffic = tmp_path / "traffic.jsonl"
    traffic.write_text(GOOD_LINE + "\n", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    kb = KB_SMALL
    values = {
        "traffic": str(traffic),
        "busy": str(busy_port),
        "empty": str(tmp_path / "empty"),
        "kb": str(kb),
    }
    result = run_cli([a.format(**values) for a in args], tmp_path, env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert words in last
    assert "kb built" not in result.stderr  # failed before anything slow was loaded


def test_json_errors_have_the_api_shape(tmp_path: Path) -> None:
    result = run_cli(["replay", "/no/such.jsonl", "--json"], tmp_path)
    assert result.returncode == 2
    assert json.loads(result.stdout) == {
        "error": "centinela replay: argument file: no such file: /no/such.jsonl "
        "(see 'centinela replay --help')",
        "field": "file",
    }
    result = run_cli(["drafts", "list", "--json"], tmp_path, {"CENTINELA_LANGUAGES": "es,english"})
    assert result.returncode == 2
    body = json.loads(result.stdout)
    assert set(body) == {"error", "field"} and "ISO 639-1" in body["error"]


def test_the_busy_port_is_reported_before_the_models_load(tmp_path: Path, busy_port: int) -> None:
    result = run_cli(["serve", "--port", str(busy_port)], tmp_path, timeout=20)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{busy_port}" in result.stderr
    assert not (tmp_path / "var" / "kb-cache").exists()  # the KB was never touched


def _actions(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield f"{path} {choice.dest}", choice
            for name, sub in action.choices.items():
                yield from _actions(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield f"{path} {action.dest}", action


def test_every_command_and_option_has_help_text() -> None:
    missing = [where for where, action in _actions(_parser(), "centinela") if not (action.help or "").strip()]
    assert missing == []


def test_in_process_callers_get_the_json_error_too(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["replay", "/no/such.jsonl", "--json"])
    assert stopped.value.code == 2
    assert json.loads(capsys.readouterr().out)["field"] == "file"
    with pytest.raises(SystemExit):
        main(["replay", "/no/such.jsonl"])
    assert capsys.readouterr().out == ""  # no --json: the one line on stderr only
