"""The proof of instruction as a printable PDF: A4 landscape, a heading block, one table
row per participant, page numbers, and a line for the responsible person's signature."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.fonts import FontFace

from lms.certificates import FONTS


@dataclass(frozen=True)
class ProofDocument:
    """Everything printed, already in the reader's language and formats."""

    title: str
    facts: Sequence[tuple[str, str]]  # (label, value): company, module, period, made on
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    empty: str  # shown when there are no rows
    signature: str  # the caption under the signature line
    page: str  # "Page %(page)s of %(pages)s" with {page} and {pages} filled in by fpdf
    widths: Sequence[float] = ()  # the columns' relative widths; equal when not given


class _Pdf(FPDF):
    page_label = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 6, self.page_label.format(page=self.page_no(), pages="{nb}"), align="R")


def render_proof(document: ProofDocument) -> bytes:
    pdf = _Pdf(orientation="L", unit="mm", format="A4")
    pdf.page_label = document.page
    pdf.set_title(document.title)
    pdf.set_author("Lernwerk")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, document.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for label, value in document.facts:
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(40, 6, label)
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if document.rows:
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 236, 243)),
            line_height=4.5,
            text_align="LEFT",
            repeat_headings=1,
            col_widths=tuple(document.widths) or None,
        ) as table:
            table.row(list(document.header))
            for row in document.rows:
                table.row(list(row))
    else:
        pdf.multi_cell(0, 6, document.empty, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(16)
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(90, 0, "", border="T", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(90, 6, document.signature)
    return bytes(pdf.output())
