"""A page of `GET /2/users/:id/mentions` into canonical messages.

The page is what X answers with `expansions=author_id`: tweets under `data`, their authors under
`includes.users`, paging under `meta`. Tweets by our own accounts are skipped (counted), and so
is anything that is not a tweet. When a page was fetched without `tweet.fields=created_at` (the
recorded pages in `../shared` were), the time comes from the tweet id itself: X ids are
snowflakes whose top bits are milliseconds since X's epoch.

The text is what the customer wrote: a long post's full text is in `note_tweet.text` (`text` is
cut at 280 characters), and X escapes `&`, `<` and `>` as HTML entities, which are decoded.
Retweets (`referenced_tweets` of type `retweeted`) repeat someone else's words: skipped. A page
with `errors` beside its `data` (a referenced tweet deleted, a user suspended) keeps its tweets
and counts each error as `api_error`; an empty page (`meta.result_count: 0`) is `empty_page`.

Identity. An edited post is a new tweet whose `edit_history_tweet_ids` lists every version,
the original first: its message id is the original's, so an edit of a mention already taken in
is a duplicate at intake (the question was decided), an edit seen first is decided with its
latest text, and a reply goes to the original, the tweet the thread knows. The edit's own id
stays in `raw`.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from adapters.base import Translation
from bot.core.models import Author, InboundMessage

TWEPOCH_MS = 1_288_834_974_657
_NO_LANGUAGE = {"und", "zxx", "qme", "qht", "qam", "art"}


def snowflake_time(tweet_id: str) -> datetime | None:
    """When a tweet id was minted, or None for ids older than snowflakes (before late 2010)."""
    if not tweet_id.isdigit() or int(tweet_id) < 1 << 22:
        return None
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWEPOCH_MS) / 1000, tz=UTC)


def translate_mentions(page: Any, *, own_ids: Collection[str], own_handles: Collection[str]) -> Translation:
    """Every tweet of the page as a message, except ours; never raises on odd content."""
    result = Translation()
    if not isinstance(page, dict):
        result.skip("not_a_mentions_page")
        return result
    tweets = page.get("data") or []
    tweets = [tweets] if isinstance(tweets, dict) else tweets
    if not isinstance(tweets, list) or not (tweets or "meta" in page or "errors" in page):
        result.skip("not_a_mentions_page")
        return result
    errors = page.get("errors")
    if isinstance(errors, list) and errors:
        result.skip("api_error", len(errors))
    elif not tweets:
        result.skip("empty_page")
    if not tweets:
        return result
    includes = page.get("includes") if isinstance(page.get("includes"), dict) else {}
    listed = (includes or {}).get("users")
    users = {
        str(u.get("id")): u
        for u in (listed if isinstance(listed, list) else [])
        if isinstance(u, dict) and u.get("id")
    }
    handles = {h.lower() for h in own_handles}
    for tweet in tweets:
        if not isinstance(tweet, dict) or not tweet.get("id"):
            result.skip("not_a_tweet")
            continue
        author_id = str(tweet.get("author_id") or "")
        user = users.get(author_id, {})
        handle = f"@{user['username']}" if user.get("username") else author_id
        if author_id in own_ids or (handle and handle.lower() in handles):
            result.skip("own_account")
            continue
        if _referenced(tweet, "retweeted"):
            result.skip("retweet")  # someone else's words passed on, not a message to us
            continue
        with result.item():
            message = _message(tweet, user, handle)
            if message is None:
                result.skip("malformed_tweet")
            else:
                result.messages.append(message)
    return result


def _message(tweet: Mapping[str, Any], user: Mapping[str, Any], handle: str) -> InboundMessage | None:
    tweet_id = original_id(tweet)
    created = tweet.get("created_at") or snowflake_time(str(tweet["id"]))
    if created is None:
        return None
    metrics = user.get("public_metrics") if isinstance(user.get("public_metrics"), dict) else {}
    lang = tweet.get("lang")
    try:
        return InboundMessage(
            id=tweet_id,
            channel="twitter",
            created_at=created,
            author=Author(
                handle=handle,
                name=user.get("name"),
                followers=(metrics or {}).get("followers_count"),
                verified=bool(user.get("verified")) or user.get("verified_type") not in (None, "", "none"),
                customer_id=str(tweet.get("author_id")) if tweet.get("author_id") else None,
            ),
            text=tweet_text(tweet),
            in_reply_to=_replied_to(tweet),
            language=lang if isinstance(lang, str) and lang not in _NO_LANGUAGE else None,
            raw={"tweet": dict(tweet), "author": dict(user)} if user else {"tweet": dict(tweet)},
        )
    except ValidationError:
        return None


def original_id(tweet: Mapping[str, Any]) -> str:
    """The first version of an edited tweet (`edit_history_tweet_ids[0]`), else its own id."""
    history = tweet.get("edit_history_tweet_ids")
    first = history[0] if isinstance(history, list) and history else None
    return str(first) if isinstance(first, str | int) and str(first).isdigit() else str(tweet["id"])


def tweet_text(tweet: Mapping[str, Any]) -> str:
    """The whole text as written: a long post's `note_tweet`, entities decoded."""
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else {}
    text = (note or {}).get("text") or tweet.get("text") or ""
    return html.unescape(str(text))


def _referenced(tweet: Mapping[str, Any], kind: str) -> str | None:
    refs = tweet.get("referenced_tweets")
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict) and ref.get("type") == kind and ref.get("id"):
            return str(ref["id"])
    return None


def _replied_to(tweet: Mapping[str, Any]) -> str | None:
    """The tweet this one answers (or quotes): the thread it belongs to."""
    return _referenced(tweet, "replied_to") or _referenced(tweet, "quoted")
