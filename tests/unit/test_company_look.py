"""A company's look: what a logo must be and which accent colours can be read."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from lms.company_look.service import (
    MAX_LOGO_BYTES,
    LookError,
    check_accent,
    check_logo,
    contrast_ratio,
    darker_suggestion,
    normalize_color,
    shown_ratio,
)


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (240, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 92, 173)).save(buffer, format=kind)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "kind,media_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_png_jpeg_and_webp_logos_are_taken_by_their_bytes(kind, media_type):
    checked = check_logo(image_bytes(kind), "logo.bin")
    assert (checked.media_type, checked.width, checked.height) == (media_type, 240, 80)


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


@pytest.mark.parametrize(
    "data,filename,code",
    [
        (SVG, "logo.png", "logo-svg"),  # an SVG named .png
        (b"  <svg onload='alert(1)'/>", "logo", "logo-svg"),
        (image_bytes(), "logo.svg", "logo-svg"),
        (b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 20, "logo.png", "logo-type"),
        (image_bytes()[:200], "logo.png", "logo-type"),  # cut off
        (b"GIF89a" + b"\0" * 100, "logo.gif", "logo-type"),
        (image_bytes(size=(2400, 100)), "wide.png", "logo-dimensions"),
        (image_bytes(size=(10, 10)), "tiny.png", "logo-dimensions"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_LOGO_BYTES, "big.png", "logo-too-large"),
        (b"", "", "logo-missing"),
    ],
)
def test_other_files_are_refused_with_the_reason(data, filename, code):
    with pytest.raises(LookError) as refused:
        check_logo(data, filename)
    assert refused.value.code == code


def test_contrast_ratios_are_those_of_wcag():
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21)
    assert contrast_ratio("#0b5cad", "#ffffff") == pytest.approx(6.6, abs=0.1)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_a_ratio_just_below_the_limit_never_shows_as_passing():
    assert shown_ratio(4.47) == 4.4
    assert shown_ratio(6.66) == 6.6


def test_colours_are_read_in_the_usual_spellings():
    assert normalize_color(" #0B5CAD ") == "#0b5cad"
    assert normalize_color("0b5cad") == "#0b5cad"
    assert normalize_color("#abc") == "#aabbcc"
    assert normalize_color("blue") is None
    assert normalize_color("#12345") is None


def test_a_light_accent_is_refused_with_its_ratio_and_a_darker_suggestion():
    with pytest.raises(LookError) as refused:
        check_accent("#ffcc00")
    assert refused.value.code == "accent-contrast"
    assert refused.value.ratio == pytest.approx(1.51, abs=0.01)
    suggestion = refused.value.suggestion
    assert contrast_ratio(suggestion, "#ffffff") >= 4.5
    assert suggestion == darker_suggestion("#ffcc00") != "#000000"
    assert check_accent("#0B5CAD") == "#0b5cad"
    with pytest.raises(LookError) as refused:
        check_accent("#nothex")
    assert refused.value.code == "accent-format"
