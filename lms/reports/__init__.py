"""Exports and charts for the manager's reports.

`tables` writes spreadsheets (CSV, XLSX) that are safe to open in Excel or
LibreOffice; `charts` draws accessible SVG charts that need no JavaScript.
Both are pure: callers pass already translated labels and formatted data, and
nothing here reads the request, the session or the clock.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response


def json_download(data: Any, filename: str) -> Response:
    """`data` as a UTF-8 JSON file to save (personal data and company exports)."""
    response = Response(json.dumps(data, ensure_ascii=False, indent=2))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
