"""Certificates: verification codes, validity, status, and the PDF.

A certificate belongs to a `Completion`. Its code is public (printed with a QR
code that opens `/verify/<code>`); it is long and random, so guessing one is
hopeless. The PDF uses DejaVu Sans, shipped in `fonts/` (see its LICENSE), so
every name prints, whatever its letters.
"""

from __future__ import annotations

import calendar
import enum
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import segno
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.models import Completion, CourseVersion

FONTS = Path(__file__).parent / "fonts"
# No 0/O, 1/I/L: codes are read aloud and typed from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PERIOD = re.compile(r"^(?P<n>\d+) (?P<unit>days|months|years)$")


def new_code() -> str:
    """A random verification code like K7QM-3XPA-W9RT (about 59 bits)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_code(code: str) -> str:
    cleaned = re.sub(r"[^A-Z0-9]", "", code.upper())
    return f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}" if len(cleaned) == 12 else ""


def add_period(start: datetime, period: str | None) -> datetime | None:
    """`start` plus a period such as "12 months".

    Month ends are kept: 31 Jan plus one month is 28 or 29 Feb.
    """
    match = PERIOD.match(period or "")
    if match is None:
        return None
    amount, unit = int(match.group("n")), match.group("unit")
    if unit == "days":
        return start + timedelta(days=amount)
    months = amount * (12 if unit == "years" else 1)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


class Status(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    RENEWAL_NEEDED = "renewal_needed"


def status(session: Session, completion: Completion, now: datetime) -> Status:
    """What the certificate is worth today."""
    if completion.revoked_at is not None:
        return Status.REVOKED
    if completion.valid_until is not None and completion.valid_until <= now:
        return Status.EXPIRED
    newer_requalification = session.scalar(
        select(CourseVersion.id)
        .where(
            CourseVersion.course_id == completion.course_id,
            CourseVersion.number > completion.version.number,
            CourseVersion.requalification.is_(True),
        )
        .limit(1)
    )
    return Status.RENEWAL_NEEDED if newer_requalification else Status.VALID


@dataclass(frozen=True)
class CertificateText:
    """Everything printed on a certificate, already in the reader's language."""

    heading: str
    learner: str
    company: str
    completed: str  # e.g. "hat das Lernmodul erfolgreich abgeschlossen:"
    course: str
    details: list[str]  # version, date, validity
    verify: str  # how to check it
    url: str
    code: str
    evidence: list[str] = field(default_factory=list)  # in-person session, sign-off
    logo: bytes | None = None  # the company's logo (PNG, JPEG or WebP, checked at upload)


def render_pdf(text: CertificateText) -> bytes:
    """An A4 landscape PDF with the texts and a QR code for the verification URL."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(text.heading)
    pdf.set_author("Lernwerk")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_draw_color(11, 92, 173)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_text_color(0, 0, 0)
    if text.logo:
        # Top right inside the frame, clear of the centred heading; its aspect kept.
        pdf.image(io.BytesIO(text.logo), x=217, y=16, w=60, h=20, keep_aspect_ratio=True)

    def line(size: float, value: str, style: str = "", height: float = 10, gap: float = 0) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.set_x(25)
        pdf.multi_cell(247, height, value, align="C", new_x="LMARGIN", new_y="NEXT")
        if gap:
            pdf.ln(gap)

    pdf.set_y(30)
    line(30, text.heading, "B", 14, 8)
    line(22, text.learner, "B", 11)
    if text.company:
        line(13, text.company, height=8, gap=6)
    line(13, text.completed, height=8, gap=2)
    line(19, text.course, "B", 10, 6)
    for detail in text.details:
        line(12, detail, height=7)
    if text.evidence:
        pdf.ln(3)
    for proof in text.evidence:
        line(10, proof, height=6)
    qr = segno.make(text.url, error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=6, border=2)
    image.seek(0)
    pdf.image(image, x=25, y=150, w=38, h=38)
    pdf.set_font("DejaVu", "", 10)
    pdf.set_xy(68, 160)
    pdf.multi_cell(200, 6, f"{text.verify}\n{text.url}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(68, 175)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(200, 8, text.code)
    return bytes(pdf.output())
