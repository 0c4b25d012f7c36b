"""Uploaded files kept for an hour between a dry run and its "apply", so the user
applies exactly the file the dry run showed.

Kept in the instance folder under a random name, with who uploaded it, for which
company and for what (`kind`); only that person, for that company and kind, gets it
back. Several app instances need a shared instance folder for this (see
docs/deployment.md).
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

from flask import current_app

KEEP_SECONDS = 3600
_TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def keep(kind: str, company_id: int, user_id: int, data: bytes, meta: dict[str, Any]) -> str:
    """Keep `data` and `meta`; the token that gets them back."""
    folder = _folder()
    _forget_old(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    stamp = {**meta, "kind": kind, "company_id": company_id, "user_id": user_id}
    (folder / f"{token}.json").write_text(json.dumps(stamp), encoding="utf-8")
    return token


def kept(
    kind: str, company_id: int, user_id: int, token: str
) -> tuple[bytes, dict[str, Any]] | None:
    """What `keep` kept under `token`, if it is this kind, company and person's and fresh."""
    if not token or not set(token) <= _TOKEN_CHARS:
        return None
    folder = _folder()
    data_path, meta_path = folder / f"{token}.bin", folder / f"{token}.json"
    if not data_path.exists() or not meta_path.exists():
        return None
    if data_path.stat().st_mtime < time.time() - KEEP_SECONDS:
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if (meta.get("kind"), meta.get("company_id"), meta.get("user_id")) != (
        kind,
        company_id,
        user_id,
    ):
        return None
    return data_path.read_bytes(), meta


def drop(token: str) -> None:
    if not token or not set(token) <= _TOKEN_CHARS:
        return
    folder = _folder()
    for suffix in (".bin", ".json"):
        (folder / f"{token}{suffix}").unlink(missing_ok=True)
