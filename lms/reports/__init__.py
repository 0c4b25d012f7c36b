"""Exports and charts for the manager's reports.

`tables` writes spreadsheets (CSV, XLSX) that are safe to open in Excel or
LibreOffice; `charts` draws accessible SVG charts that need no JavaScript.
Both are pure: callers pass already translated labels and formatted data, and
nothing here reads the request, the session or the clock.
"""
