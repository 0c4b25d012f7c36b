"""A small logo drawn for `lms demo` (no image file in the repository to keep)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from lms.company_look.service import logo_digest
from lms.models import Company, CompanyLogo

FONT = Path(__file__).resolve().parent.parent / "certificates" / "fonts" / "DejaVuSans-Bold.ttf"


def drawn_logo(word: str, color: str) -> bytes:
    """A wordmark PNG: three arcs (northern lights) and `word`, in `color`, on transparent."""
    width, height = 330, 96
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    rgb = tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))
    for step, alpha in enumerate((255, 170, 90)):
        inset = 8 + step * 12
        box = (inset, inset + 18, 96 - inset, 96 - inset + 18)
        draw.arc(box, 200, 340, fill=(*rgb, alpha), width=7)
    font = ImageFont.truetype(str(FONT), 44)
    draw.text((100, 22), word, font=font, fill=(*rgb, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def give_look(company: Company, word: str, color: str) -> CompanyLogo:
    """Make `color` the company's accent and a drawn logo its logo (the caller adds it)."""
    data = drawn_logo(word, color)
    company.accent_color = color
    company.logo_digest = logo_digest(data)
    return CompanyLogo(company_id=company.id, media_type="image/png", width=330, height=96,
                       data=data)  # fmt: skip
