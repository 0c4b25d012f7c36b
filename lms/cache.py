"""The one caching layer: Flask-Caching, in memory or in Redis, keyed by versions.

Everything Lernwerk keeps between requests goes through `remembered`, under a key
of versions and revisions that makes the value immutable: a course version's
content hash, a company's revision, the day. A key never names "the current"
anything, so nothing is ever invalidated by hand: a change makes a new key, and
the old entry ages out. With `LMS_REDIS_URL` set every worker and instance shares
one cache (and Flask-Limiter's counters live in the same Redis); without it each
process keeps its own, which is fine because the keys are the same everywhere.

    body = remembered(("unit-body", version.id, version.content_hash, "de", unit_id),
                      lambda: render(...))

Tests get a cache of their own per app, cleared between tests (tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask
from flask_caching import Cache

log = logging.getLogger(__name__)

cache = Cache()

T = TypeVar("T")

# Entries that nothing asks for again leave after a day (versions and revisions
# move on; an old key is never asked for).
DEFAULT_TIMEOUT = 24 * 3600
# In memory: at most this many entries per process, the oldest dropped first.
MEMORY_ENTRIES = 2000


def init_app(app: Flask) -> None:
    """In memory by default; Redis when `REDIS_URL` is set (LMS_REDIS_URL)."""
    url = app.config.get("CACHE_REDIS_URL") or app.config.get("REDIS_URL")
    prefix = app.config.get("CACHE_KEY_PREFIX", "lernwerk:")
    if app.config.get("TESTING"):
        # Each test app gets keys of its own: tests build many apps on one Redis.
        prefix = f"{prefix}test-{secrets.token_hex(4)}:"
    settings: dict[str, Any] = {
        "CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT,
        "CACHE_KEY_PREFIX": prefix,
    }
    if url:
        settings |= {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url}
    else:
        settings |= {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": MEMORY_ENTRIES}
    cache.init_app(app, config=settings)


def key_of(parts: tuple[Hashable, ...]) -> str:
    """The cache key of a tuple of versions: readable, short enough for any backend."""
    text = "|".join(str(part) for part in parts)
    if len(text) <= 200:
        return text
    return f"{parts[0]}|{hashlib.sha256(text.encode()).hexdigest()}"


def remembered(
    parts: tuple[Hashable, ...], compute: Callable[[], T], timeout: int | None = None
) -> T:
    """`compute()`, or what it gave before for the same key.

    `parts` must name every version the value depends on; the first part names the
    kind of value (e.g. "unit-body"). If the cache cannot be reached (Redis down),
    the value is computed and the page still works.
    """
    key = key_of(parts)
    try:
        found = cache.get(key)
    except Exception:  # a cache that fails must not fail the page
        log.warning("cache unreachable, computing %s", parts[0], exc_info=True)
        return compute()
    if found is not None:
        return found[0]
    value = compute()
    try:
        cache.set(key, (value,), timeout=timeout)  # a 1-tuple: None is a value too
    except Exception:  # a cache that fails must not fail the page
        log.warning("cache unreachable, not keeping %s", parts[0], exc_info=True)
    return value
