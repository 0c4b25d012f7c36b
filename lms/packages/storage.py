"""A course version's package files: kept at import, read by the player.

Each distinct content is stored once as an `AssetBlob` (shared with the course's
assets and sources); `PackageFile` rows name the files of one package of one
version, so a version's package never changes.

A large file (a package's video) is read in parts, never whole: `read_part` reads
one span of its bytes (SQLite's incremental blob I/O; PostgreSQL's `substr` of a
`bytea`, which reads only the pages it needs of a value stored uncompressed, as
films, sound and images are: it cannot compress them. A large compressible file, a
WAV say, is decompressed up to the span asked for), and `parts` reads a longer span
part by part, each in a short reading transaction of its own, so a slow download
holds no connection between its parts.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import LargeBinary, func, literal_column, select
from sqlalchemy.orm import Session

from lms.content.blobs import keep_blobs
from lms.db import AppDatabase
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
    shas = keep_blobs(session, files)
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


log = logging.getLogger(__name__)

# A span of a file up to this size is read at once; a longer one part by part.
PART_BYTES = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """What the player needs to know of a package file before reading its bytes."""

    content_type: str
    sha256: str
    size: int


def file_info(session: Session, version_id: int, package_path: str, path: str) -> StoredFile | None:
    """The type, content hash and size of one file of a version's package (its bytes
    are not read); None when the package has no such file."""
    row = session.execute(
        select(PackageFile.content_type, PackageFile.sha256, PackageFile.size).where(
            PackageFile.version_id == version_id,
            PackageFile.package == package_path,
            PackageFile.path == path,
        )
    ).first()
    return StoredFile(*row) if row is not None else None


def read_part(session: Session, sha256: str, start: int, length: int) -> bytes | None:
    """`length` bytes of the stored content `sha256` from byte `start` (fewer at its
    end); None when no such content is stored."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        rowid = connection.execute(
            select(literal_column("rowid")).select_from(AssetBlob).where(AssetBlob.sha256 == sha256)
        ).scalar()
        if rowid is None:
            return None
        driver: sqlite3.Connection = connection.connection.driver_connection  # type: ignore[assignment]
        with driver.blobopen(AssetBlob.__tablename__, "data", rowid, readonly=True) as blob:
            blob.seek(start)
            return blob.read(length)
    part = func.substr(AssetBlob.data, start + 1, length, type_=LargeBinary)
    found = connection.execute(select(part).where(AssetBlob.sha256 == sha256)).first()
    return bytes(found[0]) if found is not None else None


def parts(database: AppDatabase, sha256: str, start: int, stop: int) -> Iterator[bytes]:
    """The bytes `start` to `stop` (exclusive) of the stored content `sha256`, in parts
    of at most PART_BYTES, each read in a short reading transaction of its own: for
    sending after the view has answered. Ends early if the content is gone."""
    at = start
    while at < stop:
        with database.reading() as session:
            part = read_part(session, sha256, at, min(PART_BYTES, stop - at))
        if not part:
            log.warning("stored content %s… ended at byte %d of %d", sha256[:12], at, stop)
            return
        yield part
        at += len(part)
