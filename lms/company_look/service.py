"""Checking and saving a company's look: its logo and its accent colour. Each change
writes its audit entry (`audit.record`) in the caller's transaction.

A logo is a PNG, JPEG or WebP, told by its bytes (Pillow reads it whole), whatever
its name or the browser claims: at most `MAX_LOGO_BYTES`, 16 to `MAX_LOGO_SIDE`
pixels a side. SVG is refused: it can carry script and outside references, and no
SVG sanitiser is installed that we would trust with it.

The accent colour is used as the background of white button text and as the colour
of links on white, so it needs a contrast of at least 4.5:1 against white (WCAG 2.1
AA); a lighter one is refused with its ratio and a darker colour of the same hue.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import warnings
from dataclasses import dataclass
from datetime import datetime

from PIL import Image
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.models import Company, CompanyLogo

MAX_LOGO_BYTES = 512 * 1024
MIN_LOGO_SIDE = 16
MAX_LOGO_SIDE = 2000
# Pillow's name of a format -> the media type it is served as.
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}

MIN_CONTRAST = 4.5
WHITE = "#ffffff"
COLOR = re.compile(r"^#?([0-9a-f]{6}|[0-9a-f]{3})$")


class LookError(ValueError):
    """A logo or colour is refused; `code` names why (the view words it), `ratio` and
    `suggestion` go with "accent-contrast"."""

    def __init__(self, code: str, ratio: float = 0.0, suggestion: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.ratio = ratio
        self.suggestion = suggestion


@dataclass(frozen=True)
class CheckedLogo:
    media_type: str
    width: int
    height: int


# The first bytes of the raster formats taken: such a file is never taken for an SVG
# (a photo's metadata may well hold XML).
_RASTER_STARTS = (b"\x89PNG", b"\xff\xd8\xff", b"RIFF")


def _looks_like_svg(data: bytes, filename: str) -> bool:
    """An SVG by its name, or text that is XML or holds an <svg> element."""
    if filename.lower().endswith((".svg", ".svgz")):
        return True
    if data.startswith(_RASTER_STARTS):
        return False
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<?xml") or b"<svg" in head


def check_logo(data: bytes, filename: str = "") -> CheckedLogo:
    """What the uploaded logo is, or LookError: "logo-missing", "logo-too-large",
    "logo-svg", "logo-type" (not a whole PNG, JPEG or WebP) or "logo-dimensions"."""
    if not data:
        raise LookError("logo-missing")
    if len(data) > MAX_LOGO_BYTES:
        raise LookError("logo-too-large")
    if _looks_like_svg(data, filename):
        raise LookError("logo-svg")
    try:
        with warnings.catch_warnings():
            # A huge image is refused, never decoded (Pillow's bomb check warns first).
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if kind not in LOGO_TYPES:
                    raise LookError("logo-type")
                if not (
                    MIN_LOGO_SIDE <= width <= MAX_LOGO_SIDE
                    and MIN_LOGO_SIDE <= height <= MAX_LOGO_SIDE
                ):
                    raise LookError("logo-dimensions")
                image.load()  # decodes it all: a cut-off or broken file fails here
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise LookError("logo-dimensions") from error
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, LookError):
            raise
        raise LookError("logo-type") from error
    return CheckedLogo(LOGO_TYPES[kind], width, height)


def logo_digest(data: bytes) -> str:
    """The version of a logo in its address (?v=…)."""
    return hashlib.sha256(data).hexdigest()[:16]


def _describe(media_type: str, width: int, height: int) -> str:
    return f"{media_type.removeprefix('image/').upper()}, {width} × {height} px"


def set_logo(
    session: Session, actor: Actor, company: Company, data: bytes, filename: str, now: datetime
) -> None:
    """Check `data` (see `check_logo`) and make it the company's logo."""
    checked = check_logo(data, filename)
    logo = session.get(CompanyLogo, company.id)
    before = _describe(logo.media_type, logo.width, logo.height) if logo else None
    if logo is None:
        logo = CompanyLogo(company_id=company.id)
        session.add(logo)
    logo.media_type, logo.width, logo.height = checked.media_type, checked.width, checked.height
    logo.data = data
    logo.uploaded_at = now
    company.logo_digest = logo_digest(data)
    session.flush()
    after = _describe(checked.media_type, checked.width, checked.height)
    audit.record(session, actor, "company.logo", company.id, now, subject=company.name,
                 subject_id=company.id, changes={"logo": [before, after]})  # fmt: skip


def logo_data(session: Session, company: Company | None) -> bytes | None:
    """The company's logo for its certificates, if it has one."""
    if company is None or company.logo_digest is None:
        return None
    logo = session.get(CompanyLogo, company.id)
    return logo.data if logo is not None else None


def remove_logo(session: Session, actor: Actor, company: Company, now: datetime) -> bool:
    """Remove the company's logo (Lernwerk's name shows again); False if it had none."""
    logo = session.get(CompanyLogo, company.id)
    if logo is None:
        company.logo_digest = None
        return False
    before = _describe(logo.media_type, logo.width, logo.height)
    session.delete(logo)
    company.logo_digest = None
    session.flush()
    audit.record(session, actor, "company.logo_remove", company.id, now, subject=company.name,
                 subject_id=company.id, changes={"logo": [before, None]})  # fmt: skip
    return True


def normalize_color(text: str) -> str | None:
    """A colour typed as #RRGGBB, rrggbb or #rgb, as "#rrggbb"; None if it is none."""
    match = COLOR.match(text.strip().lower())
    if match is None:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return f"#{digits}"


def _channels(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _luminance(color: str) -> float:
    """The relative luminance of WCAG 2.1."""

    def linear(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in _channels(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """The contrast ratio of two "#rrggbb" colours (1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def shown_ratio(ratio: float) -> float:
    """The ratio with one decimal, cut rather than rounded: 4.47 shows as 4.4, not as
    the 4.5 it fails."""
    return math.floor(ratio * 10) / 10


def darker(color: str, share: float) -> str:
    """`color` mixed with `share` (0 to 1) of black: the same hue, darker."""
    return "#" + "".join(f"{round(v * (1 - share)):02x}" for v in _channels(color))


def darker_suggestion(color: str) -> str:
    """The lightest darker shade of `color` (in steps of 5 %) that passes against white."""
    for step in range(1, 21):
        candidate = darker(color, step / 20)
        if contrast_ratio(candidate, WHITE) >= MIN_CONTRAST:
            return candidate
    return "#000000"


def check_accent(text: str) -> str:
    """The colour typed, as "#rrggbb", or LookError "accent-format" or
    "accent-contrast" (with its ratio against white and a darker suggestion)."""
    color = normalize_color(text)
    if color is None:
        raise LookError("accent-format")
    ratio = contrast_ratio(color, WHITE)
    if ratio < MIN_CONTRAST:
        raise LookError("accent-contrast", ratio=ratio, suggestion=darker_suggestion(color))
    return color


def set_accent(
    session: Session, actor: Actor, company: Company, text: str | None, now: datetime
) -> bool:
    """Make the colour typed (`check_accent`) the company's accent; None: Lernwerk's own
    colour again. False if nothing changed."""
    color = check_accent(text) if text is not None else None
    if color == company.accent_color:
        return False
    before = company.accent_color
    company.accent_color = color
    session.flush()
    audit.record(session, actor, "company.accent", company.id, now, subject=company.name,
                 subject_id=company.id, changes={"accent_color": [before, color]})  # fmt: skip
    return True
