"""The printed side: an A4 sheet of login cards (2 × 4 per page, credit-card size) and
invitation letters (one A4 page per person, in their language).

The texts come in already translated (`card_face`, `letter_text` build them in the
person's language); the renderers only lay them out, with DejaVu Sans (shipped with
the certificates) so that every name prints. QR codes go in as PNG images.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import segno
from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from lms.certificates import FONTS
from lms.login_cards.service import IssuedCard
from lms.models import Company, User
from lms.models.shop_floor import CardKind
from lms.templating import date_filter

CARD_W, CARD_H = 85.6, 54.0  # ISO/IEC 7810 ID-1, the size of a bank card
COLUMNS, ROWS = 2, 4
PAGE_W, PAGE_H = 210.0, 297.0
LEFT = (PAGE_W - COLUMNS * CARD_W) / 2
TOP = (PAGE_H - ROWS * CARD_H) / 2
PAD = 4.0
QR_SIZE = 30.0
GREY = (90, 90, 90)


def language_of(person: User, company: Company | None) -> str:
    """The language printed for `person`: theirs, else their company's, else German."""
    language = person.language or (company.default_language if company else None) or "de"
    return language if language in ("de", "en") else "de"


@dataclass(frozen=True)
class CardFace:
    """What one card shows, in its holder's language."""

    name: str
    company: str
    kind_label: str  # "Login-Karte"
    url: str  # in the QR code
    code_label: str
    code: str
    details: list[str]  # the company's sign-in code, the personnel number
    lost: str


@dataclass(frozen=True)
class LetterText:
    """One invitation letter, in its reader's language."""

    company: str
    printed_on: str
    heading: str
    greeting: str
    intro: str
    steps_heading: str
    steps: list[str]
    code_label: str
    code: str
    url: str
    valid_until: str
    questions: str
    keep_safe: str


def card_face(person: User, company: Company, url: str, code: str) -> CardFace:
    """The texts of `person`'s card (needs an app context for the translations)."""
    with force_locale(language_of(person, company)):
        details = [_("Sign-in code of the company: %(code)s", code=company.sign_in_code or "–")]
        if person.personnel_number:
            details.append(_("Personnel number: %(number)s", number=person.personnel_number))
        return CardFace(
            name=person.display_name,
            company=company.name,
            kind_label=_("Login card"),
            url=url,
            code_label=_("Code to type in:"),
            code=code,
            details=details,
            lost=_("Card lost? Tell your manager."),
        )


def letter_text(
    person: User, company: Company, url: str, code: str, typing_url: str,
    expires_at: datetime, today: date,
) -> LetterText:  # fmt: skip
    """The texts of `person`'s invitation letter, in their language."""
    with force_locale(language_of(person, company)):
        if person.personnel_number:
            sign_in = _(
                "Afterwards you sign in with the company's sign-in code %(code)s, your "
                "personnel number %(number)s and your PIN, or with your login card.",
                code=company.sign_in_code or "–",
                number=person.personnel_number,
            )
        else:
            sign_in = _("Afterwards you sign in with your login card and your PIN.")
        return LetterText(
            company=company.name,
            printed_on=date_filter(today),
            heading=_("Your invitation to Lernwerk"),
            greeting=_("Hello %(name)s,", name=person.display_name),
            intro=_(
                "%(company)s invites you to Lernwerk, where you take your safety "
                "instructions and training. With this letter you sign in for the first "
                "time and choose your own PIN.",
                company=company.name,
            ),
            steps_heading=_("How to sign in"),
            steps=[
                _(
                    "Scan the QR code with the camera of a smartphone or tablet. Or open "
                    "%(address)s and type in your code.",
                    address=typing_url,
                ),
                _("Choose a PIN of at least 6 digits. Keep it to yourself."),
                sign_in,
            ],
            code_label=_("Your code:"),
            code=code,
            url=url,
            valid_until=_(
                "This letter is valid until %(date)s and for one sign-in only.",
                date=date_filter(expires_at),
            ),
            questions=_("Questions? Please ask your manager."),
            keep_safe=_("Keep this letter to yourself and destroy it after your first sign-in."),
        )


def _qr_png(url: str) -> io.BytesIO:
    # PNG, not SVG: fpdf2 warns about SVG features it skips.
    image = io.BytesIO()
    segno.make(url, error="m").save(image, kind="png", scale=8, border=2)
    image.seek(0)
    return image


def _new_pdf(title: str) -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(title)
    pdf.set_author("Lernwerk")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    return pdf


def _fitting_size(
    pdf: FPDF, text: str, width: float, lines: int, sizes: tuple[float, ...]
) -> float:
    """The largest of `sizes` (points, bold) at which `text` fits `lines` lines of `width`."""
    for size in sizes:
        pdf.set_font("DejaVu", "B", size)
        needed = pdf.multi_cell(width, 5, text, dry_run=True, output=MethodReturnValue.LINES)
        if isinstance(needed, list) and len(needed) <= lines:
            return size
    return sizes[-1]


def _cut_marks(pdf: FPDF) -> None:
    """Short lines in the margins where the sheet is cut, and a thin frame per card."""
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    for column in range(COLUMNS + 1):
        x = LEFT + column * CARD_W
        pdf.line(x, TOP - 8, x, TOP - 2)
        pdf.line(x, TOP + ROWS * CARD_H + 2, x, TOP + ROWS * CARD_H + 8)
    for row in range(ROWS + 1):
        y = TOP + row * CARD_H
        pdf.line(LEFT - 8, y, LEFT - 2, y)
        pdf.line(LEFT + COLUMNS * CARD_W + 2, y, LEFT + COLUMNS * CARD_W + 8, y)


def _card(pdf: FPDF, face: CardFace, x: float, y: float) -> None:
    pdf.set_draw_color(190, 190, 190)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, CARD_W, CARD_H)
    text_w = CARD_W - 3 * PAD - QR_SIZE + 2
    pdf.set_text_color(*GREY)
    pdf.set_font("DejaVu", "", 6.5)
    pdf.set_xy(x + PAD, y + PAD)
    pdf.cell(text_w, 3, f"{face.company} · {face.kind_label}"[:60])
    pdf.set_text_color(0, 0, 0)
    size = _fitting_size(pdf, face.name, text_w, 2, (12, 11, 10, 9, 8))
    pdf.set_font("DejaVu", "B", size)
    pdf.set_xy(x + PAD, y + PAD + 4.5)
    pdf.multi_cell(text_w, size * 0.45, face.name, new_x="LEFT", new_y="NEXT", align="L")
    pdf.set_font("DejaVu", "", 6.5)
    pdf.set_xy(x + PAD, y + 23)
    for detail in face.details:
        pdf.set_x(x + PAD)
        pdf.multi_cell(text_w, 3.2, detail, new_x="LEFT", new_y="NEXT", align="L")
    pdf.set_text_color(*GREY)
    pdf.set_xy(x + PAD, y + 33.5)
    pdf.cell(text_w, 3, face.code_label)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.set_xy(x + PAD, y + 37)
    pdf.cell(text_w, 5, face.code)
    pdf.image(_qr_png(face.url), x=x + CARD_W - PAD - QR_SIZE, y=y + PAD + 2, w=QR_SIZE, h=QR_SIZE)
    pdf.set_draw_color(210, 210, 210)
    pdf.line(x + PAD, y + CARD_H - 9, x + CARD_W - PAD, y + CARD_H - 9)
    pdf.set_font("DejaVu", "", 7)
    pdf.set_xy(x + PAD, y + CARD_H - 8)
    pdf.cell(CARD_W - 2 * PAD, 5, face.lost, align="C")


def render_cards(faces: list[CardFace], title: str, header: str) -> bytes:
    """An A4 sheet (or several) of cards, 2 × 4 a page, with cut marks; `header` is
    printed at the top of each page (who, when)."""
    pdf = _new_pdf(title)
    per_page = COLUMNS * ROWS
    for start in range(0, max(len(faces), 1), per_page):
        pdf.add_page()
        pdf.set_text_color(*GREY)
        pdf.set_font("DejaVu", "", 8)
        pdf.set_xy(LEFT, 14)
        pdf.cell(COLUMNS * CARD_W, 5, header)
        _cut_marks(pdf)
        for index, face in enumerate(faces[start : start + per_page]):
            row, column = divmod(index, COLUMNS)
            _card(pdf, face, LEFT + column * CARD_W, TOP + row * CARD_H)
    return bytes(pdf.output())


def _letter(pdf: FPDF, text: LetterText) -> None:
    margin, width = 22.0, PAGE_W - 44.0
    pdf.set_margins(margin, 0, margin)
    pdf.add_page()
    pdf.set_text_color(*GREY)
    pdf.set_font("DejaVu", "", 10)
    pdf.set_xy(margin, 20)
    pdf.cell(width / 2, 6, text.company)
    pdf.cell(width / 2, 6, text.printed_on, align="R")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "B", 20)
    pdf.set_xy(margin, 38)
    pdf.multi_cell(width, 9, text.heading, new_x="LEFT", new_y="NEXT", align="L")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 11.5)
    pdf.multi_cell(width, 6, text.greeting, new_x="LEFT", new_y="NEXT", align="L")
    pdf.ln(2)
    pdf.multi_cell(width, 6, text.intro, new_x="LEFT", new_y="NEXT", align="L")
    pdf.ln(6)
    top = pdf.get_y()
    qr = 55.0
    pdf.image(_qr_png(text.url), x=margin, y=top, w=qr, h=qr)
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*GREY)
    pdf.set_xy(margin + qr + 8, top + 8)
    pdf.cell(width - qr - 8, 5, text.code_label)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "B", 20)
    pdf.set_xy(margin + qr + 8, top + 15)
    pdf.cell(width - qr - 8, 10, text.code)
    pdf.set_font("DejaVu", "", 10)
    pdf.set_xy(margin + qr + 8, top + 30)
    pdf.multi_cell(width - qr - 8, 5.5, text.valid_until, new_x="LEFT", new_y="NEXT", align="L")
    pdf.set_xy(margin, top + qr + 8)
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(width, 7, text.steps_heading, new_x="LEFT", new_y="NEXT", align="L")
    pdf.ln(1)
    for number, step in enumerate(text.steps, start=1):
        pdf.set_font("DejaVu", "B", 11.5)
        y = pdf.get_y()
        pdf.set_xy(margin, y)
        pdf.cell(8, 6, f"{number}.")
        pdf.set_font("DejaVu", "", 11.5)
        pdf.set_xy(margin + 8, y)
        pdf.multi_cell(width - 8, 6, step, new_x="LEFT", new_y="NEXT", align="L")
        pdf.ln(2)
    pdf.ln(4)
    pdf.set_x(margin)
    pdf.multi_cell(width, 6, text.questions, new_x="LEFT", new_y="NEXT", align="L")
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*GREY)
    pdf.set_xy(margin, PAGE_H - 25)
    pdf.multi_cell(width, 5, text.keep_safe, new_x="LEFT", new_y="NEXT", align="L")


def render_letters(letters: list[LetterText], title: str) -> bytes:
    """One A4 page per invitation letter."""
    pdf = _new_pdf(title)
    for text in letters:
        _letter(pdf, text)
    if not letters:
        pdf.add_page()
    return bytes(pdf.output())


def print_run(
    issued: Sequence[IssuedCard],
    company: Company,
    kind: str,
    printed_by: str,
    *,
    scan_url: Callable[[str], str],
    typing_url: str,
    day: date,
) -> bytes:
    """The PDF of a print run just issued (`service.issue_cards`): a sheet of cards or
    one letter per person. `scan_url` makes a card's address from its secret (the QR
    code); `typing_url` is the page where the short code is typed. The page texts are
    in the current language, each card and letter in its holder's."""
    if kind == CardKind.CARD:
        faces = [
            card_face(item.person, company, scan_url(item.secret), item.code) for item in issued
        ]
        header = _(
            "%(company)s · printed on %(date)s by %(name)s",
            company=company.name,
            date=date_filter(day),
            name=printed_by,
        )
        return render_cards(faces, _("Login cards"), header)
    letters = [
        letter_text(
            item.person,
            company,
            scan_url(item.secret),
            item.code,
            typing_url,
            item.card.expires_at or datetime.combine(day, datetime.min.time()),
            day,
        )
        for item in issued
    ]
    return render_letters(letters, _("Invitation letters"))
