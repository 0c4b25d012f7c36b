"""A version's package files: stored once per content, read back with their type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms.content.importer import import_course
from lms.models import AssetBlob, PackageFile
from lms.packages.storage import (
    content_type,
    file_info,
    read_part,
    store_package_files,
)
from tests.unit.test_course_parser import write_course

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def package_file(db, version_id: int, package: str, path: str) -> tuple[str, bytes] | None:
    """A stored file's type and bytes, read as the player reads them."""
    found = file_info(db, version_id, package, path)
    if found is None:
        return None
    return found.content_type, read_part(db, found.sha256, 0, found.size)


@pytest.fixture
def version(app, db, tmp_path):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return import_course(db, write_course(tmp_path, {}), NOW).version


def test_files_are_stored_once_per_content_and_read_back(db, version):
    files = {
        "index.html": b"<html>same</html>",
        "copy/index.html": b"<html>same</html>",
        "media/clip.MP4": b"\x00\x00video",
        "data/blob.bin": b"\x01\x02",
    }
    blobs_before = db.scalar(select(func.count()).select_from(AssetBlob))
    store_package_files(db, version, "packages/kurs.zip", files)
    assert db.scalar(select(func.count()).select_from(AssetBlob)) == blobs_before + 3
    assert db.scalar(select(func.count()).select_from(PackageFile)) == 4
    assert package_file(db, version.id, "packages/kurs.zip", "copy/index.html") == (
        "text/html; charset=utf-8",
        b"<html>same</html>",
    )
    assert package_file(db, version.id, "packages/kurs.zip", "media/clip.MP4") == (
        "video/mp4",
        b"\x00\x00video",
    )
    assert package_file(db, version.id, "packages/kurs.zip", "data/blob.bin") == (
        "application/octet-stream",
        b"\x01\x02",
    )


def test_a_part_of_a_file_is_read_without_the_rest(db, version):
    data = bytes(range(256)) * 4096  # 1 MiB
    store_package_files(db, version, "packages/kurs.zip", {"film.mp4": data})
    found = file_info(db, version.id, "packages/kurs.zip", "film.mp4")
    assert found is not None and found.size == len(data)
    assert read_part(db, found.sha256, 1000, 300) == data[1000:1300]
    assert read_part(db, found.sha256, len(data) - 2, 10) == data[-2:]  # fewer at the end
    assert read_part(db, "0" * 64, 0, 10) is None


def test_a_file_of_another_package_or_version_is_not_found(db, version):
    store_package_files(db, version, "packages/a.zip", {"index.html": b"a"})
    assert package_file(db, version.id, "packages/b.zip", "index.html") is None
    assert package_file(db, version.id + 1, "packages/a.zip", "index.html") is None
    assert package_file(db, version.id, "packages/a.zip", "other.html") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a/b/start.htm", "text/html; charset=utf-8"),
        ("x.JS", "text/javascript; charset=utf-8"),
        ("s.css", "text/css; charset=utf-8"),
        ("f.woff2", "font/woff2"),
        ("i.svg", "image/svg+xml"),
        ("imsmanifest.xml", "application/xml"),
        ("README", "application/octet-stream"),
    ],
)
def test_content_types_come_from_the_name(name, expected):
    assert content_type(name) == expected
