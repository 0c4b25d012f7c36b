"""Fenced code blocks, tracked line by line the way Markdown reads them."""

from __future__ import annotations

import re

FENCE = re.compile(r"^ {0,3}(?P<marker>`{3,}|~{3,})(?P<info>.*)$")


class Fences:
    """Feed lines in order; `step` says whether a line belongs to a code block.

    A fence closes only with the same character, at least as many of them, and
    nothing after them (CommonMark), so a ``~~~`` line inside a ````` ``` `````
    block stays code.
    """

    def __init__(self) -> None:
        self.marker: str | None = None

    @property
    def open(self) -> bool:
        return self.marker is not None

    def step(self, line: str) -> bool:
        """True if `line` is a fence line or inside a code block."""
        if self.marker is None and "`" not in line and "~" not in line:
            return False  # most lines: no fence can start here
        match = FENCE.match(line)
        if self.marker is None:
            if match:
                self.marker = match.group("marker")
                return True
            return False
        if (
            match
            and match.group("marker")[0] == self.marker[0]
            and len(match.group("marker")) >= len(self.marker)
            and not match.group("info").strip()
        ):
            self.marker = None
        return True
