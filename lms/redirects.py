"""Where a `next` parameter may send the user: same-site paths only."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, fallback: str) -> str:
    """`target` if it is a path on this site, else `fallback`.

    Rejects absolute URLs, scheme-relative `//host`, backslash tricks and
    control characters, which browsers may treat as another host.
    """
    if not target:
        return fallback
    if any(ord(ch) < 32 for ch in target) or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target
