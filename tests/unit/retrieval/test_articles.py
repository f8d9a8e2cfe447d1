from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from retrieval.articles import ArticleFormatError, load_articles, parse_article, topic_of

GOOD = """---
id: kb-good-es
lang: es
title: Un artículo válido
url: https://ayuda.example.com/es/good
tags: [a, b]
questions:
  - ¿Funciona?
---
Cuerpo del artículo.
"""


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_small_kb_loads_every_article_from_sub_folders(kb_small: Path) -> None:
    result = load_articles(kb_small)

    assert result.errors == []
    ids = {article.id for article in result.articles}
    assert ids == {
        "kb-router-reset-es",
        "kb-router-reset-en",
        "kb-router-reset-pt",
        "kb-payment-methods-es",
        "kb-payment-methods-en",
        "kb-roaming-pt",
        "kb-roaming-en",
        "kb-tv-decoder-es",
    }
    article = next(a for a in result.articles if a.id == "kb-router-reset-pt")
    assert article.lang == "pt"
    assert article.topic == "kb-router-reset"
    assert article.path == kb_small / "pt" / "router-reset-pt.md"
    assert article.content_hash == hashlib.sha256(article.path.read_bytes()).hexdigest()
    assert article.questions[0] == "Como reinicio o roteador?"
    assert article.body.startswith("Tire o roteador")


@pytest.mark.parametrize(
    ("article_id", "topic"),
    [
        ("kb-router-reset-es", "kb-router-reset"),
        ("kb-router-reset-pt", "kb-router-reset"),
        ("kb-router-reset", "kb-router-reset"),
        ("kb-tv", "kb-tv"),  # "tv" is not a language code
        ("kb-5g", "kb-5g"),
        ("es", "es"),
    ],
)
def test_topic_strips_only_a_language_suffix(article_id: str, topic: str) -> None:
    assert topic_of(article_id) == topic


def test_bad_files_are_reported_by_name_and_reason_while_the_rest_load(tmp_path: Path) -> None:
    write(tmp_path, "good-es.md", GOOD)
    write(
        tmp_path, "sub/other-en.md", GOOD.replace("kb-good-es", "kb-other-en").replace("lang: es", "lang: en")
    )
    bad = {
        "no-front-matter.md": "Just a body, no header.\n",
        "unclosed.md": "---\nid: kb-x\nlang: es\n",
        "bad-yaml.md": "---\nid: kb-y\nlang: es\ntitle: [unclosed\n---\nbody\n",
        "missing-title.md": "---\nid: kb-z\nlang: es\nurl: https://x.example/z\n---\nbody\n",
        "bad-lang.md": GOOD.replace("kb-good-es", "kb-lang").replace("lang: es", "lang: spanish"),
        "not-a-mapping.md": "---\n- just\n- a list\n---\nbody\n",
        "zz-duplicate.md": GOOD,
    }
    for name, text in bad.items():
        write(tmp_path, name, text)
    write(tmp_path, "latin1.md", GOOD.replace("kb-good-es", "kb-latin").encode("latin-1"))

    result = load_articles(tmp_path)

    assert sorted(a.id for a in result.articles) == ["kb-good-es", "kb-other-en"]
    reasons = {error.path.name: error.reason for error in result.errors}
    assert set(reasons) == {*bad, "latin1.md"}
    assert "no front matter" in reasons["no-front-matter.md"]
    assert "not closed" in reasons["unclosed.md"]
    assert "bad YAML" in reasons["bad-yaml.md"]
    assert "missing field 'title'" in reasons["missing-title.md"]
    assert "'lang'" in reasons["bad-lang.md"]
    assert "mapping" in reasons["not-a-mapping.md"]
    assert "duplicate id 'kb-good-es'" in reasons["zz-duplicate.md"]
    assert "good-es.md" in reasons["zz-duplicate.md"]  # names the file that holds the id
    assert "UTF-8" in reasons["latin1.md"]
    assert all(str(error).startswith(str(tmp_path)) for error in result.errors)


def test_scalars_stay_strings_and_optional_lists_default_to_empty(tmp_path: Path) -> None:
    text = "---\nid: 2024\nlang: 'no'\ntitle: Norsk\nurl: https://x.example/no\n---\nTekst.\n"

    article = parse_article(tmp_path / "a.md", text.encode())

    assert article.id == "2024"
    assert article.lang == "no"  # YAML 1.1 would read `no` as False
    assert article.tags == [] and article.questions == []


def test_bom_and_windows_line_endings_are_accepted(tmp_path: Path) -> None:
    raw = ("\ufeff" + GOOD).replace("\n", "\r\n").encode("utf-8")

    article = parse_article(tmp_path / "a.md", raw)

    assert article.id == "kb-good-es"
    assert article.body == "Cuerpo del artículo."
    assert article.content_hash == hashlib.sha256(raw).hexdigest()


def test_unknown_front_matter_keys_are_ignored(tmp_path: Path) -> None:
    article = parse_article(tmp_path / "a.md", GOOD.replace("tags:", "owner: care-team\ntags:").encode())

    assert article.id == "kb-good-es"


def test_parse_error_is_a_value_error_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(ArticleFormatError, match="url"):
        parse_article(tmp_path / "a.md", GOOD.replace("https://", "ftp://").encode())


def test_missing_folder_is_an_error_not_an_empty_kb(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not-there"):
        load_articles(tmp_path / "not-there")
