"""Hand-in units (`type: handin`): the learner hands in a photo or a file for a trainer
to grade. What the unit file may say beyond the common keys: `accepts`, the kinds of
file taken (`image`, `pdf`; default `image`)."""

from __future__ import annotations

from lms.content.frontmatter import FrontMatter, Source

HANDIN_KEYS = ("accepts",)
FILE_KINDS = ("image", "pdf")


def accepted_kinds(front: FrontMatter, source: Source) -> tuple[str, ...]:
    """The kinds of file a hand-in unit takes, in the order of FILE_KINDS; an unknown
    kind is reported (at the line of `accepts:`) and left out."""
    value = front.values.get("accepts")
    if value is None:
        return ("image",)
    words = value if isinstance(value, list) else str(value).split(",")
    wanted = {str(word).strip().lower() for word in words if str(word).strip()}
    for word in sorted(wanted - set(FILE_KINDS)):
        source.error(
            front.lines["accepts"],
            "bad-value",
            key="accepts",
            value=word,
            allowed=", ".join(FILE_KINDS),
        )
    kinds = tuple(kind for kind in FILE_KINDS if kind in wanted)
    if not kinds and not wanted - set(FILE_KINDS):
        source.error(front.lines["accepts"], "empty-value", key="accepts")
    return kinds or ("image",)
