"""HTTP answers of a CRM as the adapters' delivery errors, written once for every connector."""

from __future__ import annotations

from adapters.base import PermanentFailure, RateLimited, TemporaryFailure
from adapters.http import HttpAnswer


def retry_after_s(answer: HttpAnswer, default: float = 30.0) -> float:
    raw = answer.headers.get("Retry-After") or answer.headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else default
    except ValueError:
        return default


def raise_for(answer: HttpAnswer, what: str) -> None:
    """Nothing for a 2xx; `RateLimited` for 429, `TemporaryFailure` for 5xx, else permanent."""
    if 200 <= answer.status < 300:
        return
    if answer.status == 429:
        raise RateLimited(retry_after_s(answer), f"{what}: rate limited")
    if answer.status >= 500:
        raise TemporaryFailure(f"{what}: CRM answered {answer.status}")
    raise PermanentFailure(f"{what}: CRM refused with {answer.status}: {str(answer.body)[:200]}")
