"""A course version's package files: kept at import, read by the player.

Each distinct content is stored once as an `AssetBlob` (shared with the course's
assets and sources); `PackageFile` rows name the files of one package of one
version, so a version's package never changes.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.models import AssetBlob, CourseVersion, PackageFile

# What a browser needs to know about the files packages are made of. A fixed table,
# not the machine's mimetypes database, so every server answers the same.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xhtml": "application/xhtml+xml",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".xsd": "application/xml",
    ".dtd": "application/xml-dtd",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".bmp": "image/bmp",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".vtt": "text/vtt",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    ".pdf": "application/pdf",
    ".swf": "application/x-shockwave-flash",
    ".wasm": "application/wasm",
}
UNKNOWN_TYPE = "application/octet-stream"


def content_type(path: str) -> str:
    """The content type a package file is served with, from its name."""
    return CONTENT_TYPES.get(PurePosixPath(path).suffix.lower(), UNKNOWN_TYPE)


def store_package_files(
    session: Session, version: CourseVersion, package_path: str, files: dict[str, bytes]
) -> None:
    """Keep the files of the package `package_path` (the ZIP's path in the course folder)
    for `version`; `files` by their path inside the ZIP. Flushes, never commits."""
    shas = {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
    known = set(
        session.scalars(select(AssetBlob.sha256).where(AssetBlob.sha256.in_(set(shas.values()))))
    )
    for path, sha in shas.items():
        if sha not in known:
            session.add(AssetBlob(sha256=sha, size=len(files[path]), data=files[path]))
            known.add(sha)
    session.flush()
    session.add_all(
        PackageFile(
            version_id=version.id,
            package=package_path,
            path=path,
            content_type=content_type(path),
            sha256=sha,
            size=len(files[path]),
        )
        for path, sha in shas.items()
    )
    session.flush()


def package_file(
    session: Session, version_id: int, package_path: str, path: str
) -> tuple[str, bytes] | None:
    """The content type and bytes of one file of a version's package (one query);
    None when the package has no such file."""
    row = session.execute(
        select(PackageFile.content_type, AssetBlob.data)
        .join(AssetBlob, AssetBlob.sha256 == PackageFile.sha256)
        .where(
            PackageFile.version_id == version_id,
            PackageFile.package == package_path,
            PackageFile.path == path,
        )
    ).first()
    return (row[0], row[1]) if row is not None else None
