from __future__ import annotations

import io
from pathlib import Path

from retrieval.cli import format_hits, kb_build, kb_search

from .conftest import CountingEmbedder


def test_kb_build_reports_rejected_files_and_counts(kb_copy: Path, tmp_path: Path) -> None:
    (kb_copy / "broken.md").write_text("---\nid: kb-broken\n---\nno title\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()

    code = kb_build(kb_copy, tmp_path / "cache", embedder=CountingEmbedder(), out=out, err=err)

    assert code == 0
    assert f"rejected {kb_copy / 'broken.md'}: missing field 'lang'" in err.getvalue()
    assert "8 articles" in out.getvalue() and "embedded 8 articles" in out.getvalue()
    assert (tmp_path / "cache" / "manifest.json").is_file()

    again = io.StringIO()
    kb_build(kb_copy, tmp_path / "cache", embedder=CountingEmbedder(), out=again, err=io.StringIO())
    assert "embedded 0 articles" in again.getvalue() and "reused 8" in again.getvalue()


def test_kb_build_fails_only_when_nothing_loads(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "bad.md").write_text("no front matter", encoding="utf-8")
    err = io.StringIO()

    assert kb_build(tmp_path / "kb", None, embedder=CountingEmbedder(), out=io.StringIO(), err=err) == 1
    assert "bad.md" in err.getvalue() and "no article could be loaded" in err.getvalue()
    assert kb_build(tmp_path / "missing", None, embedder=CountingEmbedder(), out=io.StringIO(), err=err) == 1
    assert "not found" in err.getvalue()


def test_kb_search_prints_a_table(kb_small: Path, tmp_path: Path) -> None:
    out = io.StringIO()

    code = kb_search(
        kb_small, tmp_path / "cache", "Ways to pay your bill", 3, embedder=CountingEmbedder(), out=out
    )

    lines = out.getvalue().splitlines()
    assert code == 0
    assert lines[0].split() == ["score", "best", "article", "lang", "title"]
    assert len(lines) == 4
    assert lines[1].split()[2:5] == ["kb-payment-methods-en", "en", "Ways"]


def test_format_hits_without_hits() -> None:
    assert format_hits([]) == "no matching article"
