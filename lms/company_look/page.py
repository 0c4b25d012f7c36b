"""What a page shows of the look: the logo in the header and the accent's stylesheet.

People of a company see its logo (alt text: the company's name) and accent colour;
the provider's staff (no company: admins, trainers) the provider's logo, a file
named by `LMS_PROVIDER_LOGO`. Both come from the user's company row, which the
header loads anyway: no further query.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g, url_for
from flask_login import current_user


@dataclass(frozen=True)
class Look:
    logo_url: str | None = None
    logo_alt: str = ""
    accent_css: str | None = None  # the address of the accent's stylesheet


NO_LOOK = Look()


def provider_logo_path() -> Path | None:
    """The provider's logo file, if one is configured and there."""
    configured = current_app.config.get("PROVIDER_LOGO")
    if not configured:
        return None
    path = Path(configured)
    return path if path.is_file() else None


def provider_logo_version(path: Path) -> str:
    """A version of the file for its address: a replaced file gets a new one."""
    stat = path.stat()
    return f"{stat.st_size:x}-{stat.st_mtime_ns:x}"


def page_look() -> Look:
    """The look of this request's pages (worked out once per request)."""
    look: Look | None = g.get("page_look")
    if look is None:
        look = g.page_look = _look()
    return look


def _look() -> Look:
    user = current_user._get_current_object()
    if not (user and user.is_authenticated):
        return NO_LOOK
    company = user.company
    if company is not None:
        logo = (
            url_for("main.look.company_logo", company_id=company.id, v=company.logo_digest)
            if company.logo_digest
            else None
        )
        accent = (
            url_for("main.look.accent_css", color=company.accent_color[1:])
            if company.accent_color
            else None
        )
        return Look(logo, company.name, accent)
    path = provider_logo_path()
    if path is None:
        return NO_LOOK
    return Look(
        url_for("main.look.provider_logo", v=provider_logo_version(path)),
        current_app.config["PROVIDER_NAME"],
    )
