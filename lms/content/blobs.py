"""The bytes of a course version's files, each distinct content stored once.

Assets, sources and package files of every version share `AssetBlob` rows by their
SHA-256; `keep_blobs` adds the contents not stored yet and says which is which.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.models import AssetBlob


def keep_blobs(session: Session, files: dict[str, bytes]) -> dict[str, str]:
    """Store each content of `files` (by path) not stored yet, with one query for those
    that are; the SHA-256 of each path. Flushes, never commits."""
    shas = {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
    known = set(
        session.scalars(select(AssetBlob.sha256).where(AssetBlob.sha256.in_(set(shas.values()))))
    )
    for path, sha in shas.items():
        if sha not in known:
            session.add(AssetBlob(sha256=sha, size=len(files[path]), data=files[path]))
            known.add(sha)
    session.flush()
    return shas
