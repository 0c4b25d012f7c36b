"""Course archives: the round trip through a ZIP, and every hostile ZIP refused."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from lms.content import archive
from lms.content.archive import (
    ArchiveError,
    CourseFiles,
    files_from_folder,
    read_course_zip,
    write_course_zip,
    write_folder,
)
from lms.content.importer import content_hash

COURSES = Path(__file__).resolve().parents[2] / "courses"
SAMPLES = sorted(p.name for p in COURSES.iterdir() if p.is_dir() and not p.name.startswith("_"))
COURSE_MD = b"---\ntitle: Test\nsummary: Kurz.\nlanguage: de\n---\n"
UNIT_MD = "---\ntype: lesson\ntitle: Grüße\n---\n\nHallo.\n".encode()


def make_zip(*entries: tuple[str | zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buffer.getvalue()


def course_zip(*extra: tuple[str | zipfile.ZipInfo, bytes]) -> bytes:
    return make_zip(("course.md", COURSE_MD), ("01-einstieg.md", UNIT_MD), *extra)


def patch_central(data: bytes, name: str, offset: int, fmt: str, value: int) -> bytes:
    """`data` with one field of `name`'s central directory record changed (what zipfile reads)."""
    record = data.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", data, record + 28)[0]
        if data[record + 46 : record + 46 + name_length] == name.encode():
            break
        record = data.index(b"PK\x01\x02", record + 4)
    patched = bytearray(data)
    struct.pack_into(fmt, patched, record + offset, value)
    return bytes(patched)


def refusal(data: bytes) -> ArchiveError:
    with pytest.raises(ArchiveError) as caught:
        read_course_zip(data)
    return caught.value


# --- The round trip ---------------------------------------------------------------------


@pytest.mark.parametrize("slug", SAMPLES)
def test_a_sample_course_survives_the_round_trip_through_a_zip(slug, tmp_path):
    folder = COURSES / slug
    files = read_course_zip(write_course_zip(files_from_folder(folder)))

    written = write_folder(files, tmp_path / slug)

    assert content_hash(written) == content_hash(folder)
    assert files.slug is None  # the ZIP has no folder around the files


def test_the_samples_include_assets_in_their_folder():
    files = files_from_folder(COURSES / "it-sicherheit")
    assert "course.md" in files
    assert "assets/phishing-mail.svg" in files
    assert files.slug == "it-sicherheit"


def test_one_folder_around_everything_is_stripped_and_suggests_the_slug():
    files = files_from_folder(COURSES / "it-sicherheit")
    folder_entry = zipfile.ZipInfo("it-sicherheit/")
    folder_entry.external_attr = (0o40755 << 16) | 0x10
    data = make_zip(
        (folder_entry, b""),
        *((f"it-sicherheit/{path}", content) for path, content in files.items()),
        ("__MACOSX/it-sicherheit/._course.md", b"\0\5\26\7"),
        ("it-sicherheit/.DS_Store", b"junk"),
        ("it-sicherheit/assets/Thumbs.db", b"junk"),
    )

    read = read_course_zip(data)

    assert read == files
    assert read.slug == "it-sicherheit"


def test_windows_separators_and_dot_parts_are_normalised():
    data = make_zip(("kurs\\course.md", COURSE_MD), ("kurs\\./assets\\bild.png", b"\x89PNG"))
    files = read_course_zip(data)
    assert dict(files) == {"course.md": COURSE_MD, "assets/bild.png": b"\x89PNG"}
    assert files.slug == "kurs"


def test_the_same_files_always_give_the_same_bytes():
    files = files_from_folder(COURSES / "it-sicherheit")
    backwards = CourseFiles(reversed(list(files.items())))

    data = write_course_zip(files)

    assert write_course_zip(backwards) == data
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(files)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}


def test_write_folder_refuses_unsafe_paths_and_writes_nothing(tmp_path):
    target = tmp_path / "kurs"
    with pytest.raises(ArchiveError) as caught:
        write_folder(CourseFiles({"course.md": b"", "../evil.md": b"x"}), target)
    assert caught.value.code == "unsafe-path"
    assert not target.exists()
    assert not (tmp_path / "evil.md").exists()


def test_write_folder_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "old.md").write_text("alt")
    with pytest.raises(FileExistsError):
        write_folder(CourseFiles({"course.md": b""}), tmp_path)


# --- Hostile or broken ZIPs ---------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"course.md", b"PK\x03\x04 not really"])
def test_what_is_not_a_zip_is_refused(data):
    error = refusal(data)
    assert error.code == "not-a-zip"
    assert "ZIP" in error.message()


def test_a_cut_off_zip_is_refused():
    data = course_zip()
    assert refusal(data[: len(data) // 2]).code == "not-a-zip"


def test_an_encrypted_entry_is_refused():
    data = patch_central(course_zip(("assets/geheim.png", b"x")), "assets/geheim.png", 8, "<H", 1)
    error = refusal(data)
    assert error.code == "encrypted"
    assert "assets/geheim.png" in error.message()
    assert "password" in error.message()


@pytest.mark.parametrize(
    "name",
    [
        "../evil.md",
        "assets/../../evil.md",
        "/etc/evil.md",
        "\\evil.md",
        "C:/evil.md",
        "c:evil.md",
        "assets\\..\\..\\evil.md",
        "__MACOSX/../../evil.md",
        "assets/zeile\nneu.png",
    ],
)
def test_a_path_that_leaves_the_folder_is_refused(name):
    error = refusal(course_zip((name, b"x")))
    assert error.code == "unsafe-path"
    assert name in error.message()


def test_a_symlink_is_refused():
    link = zipfile.ZipInfo("assets/bild.png")
    link.external_attr = 0o120777 << 16
    error = refusal(course_zip((link, b"/etc/passwd")))
    assert error.code == "symlink"
    assert "assets/bild.png" in error.message()


def test_more_files_than_the_limit_are_refused():
    pictures = [(f"assets/{n:03}.png", b"") for n in range(archive.MAX_FILES)]
    error = refusal(course_zip(*pictures))
    assert error.code == "too-many-files"
    assert "500" in error.message()


def test_junk_and_folders_do_not_count_as_files():
    pictures = [(f"assets/{n:03}.png", b"") for n in range(archive.MAX_FILES - 2)]
    junk = [(f"__MACOSX/assets/._{n:03}.png", b"") for n in range(archive.MAX_FILES)]
    assert len(read_course_zip(course_zip(*pictures, *junk, ("assets/", b"")))) == archive.MAX_FILES


def test_more_than_the_unpacked_limit_is_refused(monkeypatch):
    monkeypatch.setattr(archive, "MAX_UNPACKED", 1000)
    error = refusal(course_zip(("assets/gross.png", bytes(range(256)) * 4)))
    assert error.code == "too-large"


def test_a_declared_size_over_the_limit_is_refused_before_unpacking():
    data = patch_central(course_zip(), "01-einstieg.md", 24, "<I", 0xFFFF_FFF0)
    error = refusal(data)
    assert error.code == "too-large"
    assert "50 MB" in error.message()


@pytest.mark.parametrize("declared", [1, len(UNIT_MD) + 10])
def test_a_file_whose_declared_size_lies_is_refused(declared):
    data = patch_central(course_zip(), "01-einstieg.md", 24, "<I", declared)
    error = refusal(data)
    assert error.code == "entry-unreadable"
    assert "01-einstieg.md" in error.message()


def test_bytes_are_counted_while_unpacking(monkeypatch):
    """Even if the declared sizes pass, no more than the limit is ever unpacked."""
    data = course_zip(("assets/a.png", b"a" * 600), ("assets/b.png", b"b" * 600))
    monkeypatch.setattr(archive, "check_sizes", lambda *args: None)
    monkeypatch.setattr(archive, "MAX_UNPACKED", 1000)
    assert refusal(data).code == "too-large"


def test_a_zip_bomb_is_refused_by_its_compression_ratio():
    error = refusal(course_zip(("assets/bombe.png", bytes(2 * 1024 * 1024))))
    assert error.code == "compression-ratio"
    assert "assets/bombe.png" in error.message()
    assert "100" in error.message()


def test_many_small_well_packed_files_are_refused_together():
    small = bytes(archive.RATIO_MIN_BYTES // 2)
    error = refusal(course_zip(*((f"assets/{n}.png", small) for n in range(4))))
    assert error.code == "compression-ratio-total"


def test_markdown_that_is_not_utf8_is_refused_with_its_name():
    error = refusal(course_zip(("02-regeln.md", "Grüße".encode("cp1252"))))
    assert error.code == "md-not-utf8"
    assert "02-regeln.md" in error.message()


@pytest.mark.parametrize(
    "names",
    [
        ["01-einstieg.md"],
        ["kurs/course.md", "kurs/01-einstieg.md", "anderes/02-mehr.md"],
        ["export/kurs/course.md"],
        ["Course.md"],
    ],
)
def test_a_zip_without_course_md_on_top_is_refused(names):
    error = refusal(make_zip(*((name, COURSE_MD) for name in names)))
    assert error.code == "course-md-missing"
    assert "course.md" in error.message()


@pytest.mark.parametrize(
    "name", ["notizen.docx", "skript.js", "assets/skript.js", "assets/text.md", "Assets/bild.png"]
)
def test_a_file_type_the_format_does_not_allow_is_refused(name):
    error = refusal(course_zip((name, b"x")))
    assert error.code == "file-type"
    assert name in error.message()
    assert "png" in error.message()


def test_markdown_outside_assets_and_assets_in_subfolders_are_allowed():
    files = read_course_zip(
        course_zip(("README.md", b"# Notizen"), ("assets/bilder/BILD.JPG", b"\xff\xd8"))
    )
    assert set(files) == {"course.md", "01-einstieg.md", "README.md", "assets/bilder/BILD.JPG"}


@pytest.mark.parametrize(
    "second",
    ["assets\\bild.png", "./assets/bild.png", "assets/BILD.png", "assets/bild.png/x.png"],
)
def test_the_same_path_twice_is_refused(second):
    error = refusal(course_zip(("assets/bild.png", b"1"), (second, b"2")))
    assert error.code == "duplicate-path"
    assert "bild.png" in error.message().lower()


def test_an_exact_duplicate_entry_is_refused():
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = course_zip(("course.md", b"zweimal"))
    assert refusal(data).code == "duplicate-path"


def test_every_code_has_a_message():
    params = {"name": "x.md", "limit": 1, "ratio": 100, "allowed": "png"}
    for code in archive.MESSAGES:
        assert ArchiveError(code, **params).message()
