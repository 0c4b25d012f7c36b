"""Hand-in units in the course format, and the checks a handed-in file passes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from lms.content.parser import parse_course
from lms.content.spec import UnitType
from lms.grading.service import MAX_FILE_BYTES, HandinError, checked_file
from tests.unit.test_course_parser import write_course

HANDIN = """\
---
type: handin
title: Arbeitsplatz fotografieren
accepts: [image, pdf]
---
Fotografieren Sie Ihren gesicherten Arbeitsplatz.
"""


@pytest.fixture
def en(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def test_a_handin_unit_is_read_with_the_kinds_it_accepts(tmp_path, en):
    result = parse_course(write_course(tmp_path, {"02-foto.md": HANDIN}))
    assert result.problems == ()
    unit = result.spec.main_units[1]
    assert unit.type is UnitType.HANDIN and unit.accepts == ("image", "pdf")
    assert unit.body == "Fotografieren Sie Ihren gesicherten Arbeitsplatz."
    photo_only = HANDIN.replace("accepts: [image, pdf]\n", "")
    result = parse_course(write_course(tmp_path / "b", {"02-foto.md": photo_only}))
    assert result.problems == () and result.spec.main_units[1].accepts == ("image",)


@pytest.mark.parametrize(
    ("front", "body", "code", "line"),
    [
        ("accepts: [image, video]\n", "Text.\n", "bad-value", 4),
        ("accepts: []\n", "Text.\n", "empty-value", 4),
        ("pass_mark: 80\n", "Text.\n", "unknown-key-no-suggestion", 4),
        ("", "", "empty-unit", 5),
    ],
)
def test_mistakes_in_a_handin_unit_are_reported_with_their_line(
    tmp_path, en, front, body, code, line
):
    text = f"---\ntype: handin\ntitle: Foto\n{front}---\n{body}"
    result = parse_course(write_course(tmp_path, {"02-foto.md": text}))
    found = [(p.path.rsplit("/", 1)[-1], p.line, p.code) for p in result.problems if p.is_error]
    assert ("02-foto.md", line, code) in found


def _photo(size: tuple[int, int] = (40, 30), with_location: bool = True) -> bytes:
    image = Image.new("RGB", size, (200, 100, 50))
    exif = Image.Exif()
    if with_location:
        exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS
        exif[0x010F] = "Phone maker"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_is_re_encoded_without_its_location():
    data = _photo()
    assert b"Phone maker" in data
    kept = checked_file(data, ("image",))
    assert kept.media_type == "image/jpeg" and kept.extension == "jpg"
    assert b"Phone maker" not in kept.data
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.size == (40, 30) and not image.getexif()


def test_a_large_photo_is_kept_smaller():
    kept = checked_file(_photo((4000, 3000), with_location=False), ("image",))
    with Image.open(io.BytesIO(kept.data)) as image:
        assert max(image.size) == 2000


@pytest.mark.parametrize(
    ("data", "accepts", "code"),
    [
        (b"", ("image",), "file-empty"),
        (b"%PDF-1.4 ...", ("image",), "file-type"),  # the unit wants a photo
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", ("image", "pdf"), "file-type"),
        (b"\xff\xd8\xff broken jpeg", ("image",), "file-type"),  # looks like one, is none
        (b"\xff\xd8\xff" + b"0" * MAX_FILE_BYTES, ("image",), "file-too-large"),
    ],
)
def test_files_that_are_not_what_the_task_asks_for_are_refused(data, accepts, code):
    with pytest.raises(HandinError) as refused:
        checked_file(data, accepts)
    assert refused.value.code == code


def test_a_pdf_is_taken_where_the_task_accepts_one():
    kept = checked_file(b"%PDF-1.4 minimal", ("image", "pdf"))
    assert (kept.media_type, kept.data) == ("application/pdf", b"%PDF-1.4 minimal")
