"""Load knowledge-base articles: Markdown files with YAML front matter (see FORMATS.md).

A knowledge base is edited by people, so one broken file must never take the whole base down:
`load_articles` keeps every article it can read and returns the others as `LoadError`s that name
the file and the reason, for the CLI and the reload log to show.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# ISO 639-1 codes. A trailing "-xx" is taken for a language suffix only if it is one of these, so
# that ids such as "kb-tv" or "kb-5g" keep their last part.
_ISO_639_1_CODES = (
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy "
    "da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu "
    "hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb "
    "lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om "
    "or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw "
    "ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"
)
ISO_639_1: frozenset[str] = frozenset(_ISO_639_1_CODES.split())

_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


def topic_of(article_id: str) -> str:
    """The topic an article id belongs to: `kb-router-reset-es` -> `kb-router-reset`.

    Translations of one answer share a topic; the pipeline uses it to reply in the customer's
    language when the best match is a translation in another one.
    """
    stem, sep, suffix = article_id.rpartition("-")
    if sep and stem and suffix in ISO_639_1:
        return stem
    return article_id


class ArticleFrontMatter(BaseModel):
    """The YAML header of an article. Unknown keys are ignored: the format may grow fields."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    lang: str = Field(pattern=r"^[a-z]{2}$", description="ISO 639-1")
    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://\S+$")
    tags: list[str] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)

    @field_validator("lang", mode="before")
    @classmethod
    def _lower_lang(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("tags", "questions", mode="before")
    @classmethod
    def _list_or_empty(cls, value: Any) -> Any:
        # An empty YAML key ("tags:") reads as "" with the string-only loader: treat it as no items.
        return [] if value in ("", None) else value

    @field_validator("tags", "questions")
    @classmethod
    def _drop_blank(cls, value: list[str]) -> list[str]:
        return [item.strip() for item in value if item.strip()]


class Article(ArticleFrontMatter):
    """One article as loaded: its front matter, its body and where it came from."""

    body: str = ""
    path: Path
    content_hash: str = Field(description="sha256 of the file's bytes; unchanged hash = reusable vectors")

    @property
    def topic(self) -> str:
        return topic_of(self.id)


@dataclass(frozen=True)
class LoadError:
    """A file that could not become an article, and why (shown to whoever edits the KB)."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class LoadResult:
    """Everything `load_articles` read: good articles in path order, and the files it rejected."""

    articles: list[Article] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)


class ArticleFormatError(ValueError):
    """A file is not a valid article; the message is the reason, without the file name."""


def parse_article(path: Path, raw: bytes) -> Article:
    """Turn one file's bytes into an Article, or raise ArticleFormatError saying what is wrong."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    text = text.replace("\r\n", "\n")
    if not text.startswith("---"):
        raise ArticleFormatError("no front matter: the file must start with a '---' line")
    first_newline = text.find("\n")
    if first_newline < 0 or text[:first_newline].strip() != "---":
        raise ArticleFormatError("no front matter: the file must start with a '---' line")
    end = _FRONT_MATTER_END.search(text, first_newline + 1)
    if end is None:
        raise ArticleFormatError("front matter is not closed by a '---' line")
    header, body = text[first_newline + 1 : end.start()], text[end.end() :]
    try:
        # BaseLoader keeps every scalar a string: `lang: no` stays "no", not False, and ids that
        # look like numbers or dates stay as written.
        data = yaml.load(header, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        raise ArticleFormatError(f"bad YAML in front matter: {_one_line(str(exc))}") from exc
    if not isinstance(data, dict):
        raise ArticleFormatError("front matter must be a YAML mapping of fields")
    try:
        return Article.model_validate(
            {
                **data,
                "body": body.strip(),
                "path": path,
                "content_hash": hashlib.sha256(raw).hexdigest(),
            }
        )
    except ValidationError as exc:
        raise ArticleFormatError(_describe(exc)) from exc


def load_articles(folder: Path) -> LoadResult:
    """Load every `*.md` below `folder` (sub-folders too), keeping the good ones.

    Ids must be unique: the first file in path order keeps an id, later ones are rejected with
    the name of the file that already holds it. A missing folder is an error, not an empty KB,
    because a typo in the configured path must not silently disable auto-answers.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"knowledge base folder not found: {folder}")
    result = LoadResult()
    owners: dict[str, Path] = {}
    for path in sorted(p for p in folder.rglob("*.md") if p.is_file()):
        try:
            article = parse_article(path, path.read_bytes())
        except ArticleFormatError as exc:
            result.errors.append(LoadError(path, str(exc)))
            continue
        except OSError as exc:
            result.errors.append(LoadError(path, f"cannot read: {exc.strerror or exc}"))
            continue
        if article.id in owners:
            result.errors.append(
                LoadError(path, f"duplicate id {article.id!r}, already used by {owners[article.id]}")
            )
            continue
        owners[article.id] = path
        result.articles.append(article)
    return result


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err["loc"]) or "front matter"
        if err["type"] == "missing":
            problems.append(f"missing field {where!r}")
        else:
            problems.append(f"field {where!r}: {err['msg']}")
    return "; ".join(problems)


def _one_line(message: str) -> str:
    return " ".join(message.split())
