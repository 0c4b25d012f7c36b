"""What gunicorn needs from Lernwerk besides the app: an access log that keeps no secret.

Links sent by e-mail carry a single-use token in their path (password reset,
invitation), and a calendar feed's address is its only key; so do a package launch's
files and commits and an LTI window's ticket. The views exchange a
reset or invitation token for the session at once and redirect, so the token leaves
the address bar; this logger masks the first request's path too, so no access log
holds a working link. `lms serve` uses it; give `--logger-class lms.serving.MaskingLogger`
to a gunicorn started otherwise.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

# E-mailed links and the calendar feed; a package launch's token (its files, its
# commits, a cmi5 AU's one-time fetch: valid for hours) and an LTI window ticket.
SECRET_PATHS = re.compile(
    r"(/password/reset/|/invitation/|/calendar/|/package-files/|/learn/package-commits/"
    r"|/xapi/cmi5/fetch/|/lti/continue/)[^/?#\s\"]+"
)


def mask(text: str) -> str:
    """The text with every token of a secret path replaced by `***`."""
    return SECRET_PATHS.sub(r"\1***", text)


class MaskingLogger(Logger):
    """Gunicorn's logger, with tokens masked in the request line, path and referrer."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f", "{raw_uri}e"):
            value = atoms.get(key)
            if isinstance(value, str):
                atoms[key] = mask(value)
        return atoms
