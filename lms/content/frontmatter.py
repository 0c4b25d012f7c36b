"""Reading a course file: safe text decoding and the YAML front matter, with line numbers."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import yaml

from lms.content.problems import Problem, Severity

MAX_FILE_BYTES = 512 * 1024
MAX_FRONT_MATTER = 20_000  # characters; real front matter is a few hundred
MAX_NESTING = 20  # brackets inside brackets; real front matter has one level


@dataclass
class Source:
    """A file being parsed: its path (for messages) and where problems are collected."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, code: str, **params: Any) -> None:
        self.problems.append(Problem(self.path, line, code, params, Severity.ERROR))

    def warn(self, line: int, code: str, **params: Any) -> None:
        self.problems.append(Problem(self.path, line, code, params, Severity.WARNING))


def decode(data: bytes, source: Source) -> str | None:
    """The file's text, or None (with a problem) for oversized, binary or non-UTF-8 files."""
    if len(data) > MAX_FILE_BYTES:
        source.error(0, "file-too-large", limit="512 KiB")
        return None
    if b"\x00" in data:
        source.error(0, "binary-file")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        source.error(line, "not-utf8", offset=exc.start)
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class FrontMatter:
    values: dict[str, Any]
    lines: dict[str, int]  # key -> line in the file
    body: str
    body_line: int  # line in the file where the body starts


# libyaml's loader where PyYAML was built with it (the wheels are): the same safe
# loading, several times faster, which the editor's live check feels.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def split(text: str, source: Source) -> FrontMatter | None:
    """Separate the `---` block from the Markdown body; None (with a problem) if broken."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        source.error(1, "front-matter-missing")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        source.error(1, "front-matter-unclosed")
        return None
    yaml_text = "\n".join(lines[1:end])
    if len(yaml_text) > MAX_FRONT_MATTER or _nesting(yaml_text) > MAX_NESTING:
        source.error(2, "front-matter-syntax", detail="too long or too deeply nested")
        return None
    alias = _first_alias(yaml_text)
    if alias is not None:
        # Anchors and aliases can blow up a small file into a huge value.
        source.error(alias, "front-matter-syntax", detail="& and * (anchors, aliases)")
        return None
    loaded = _load(yaml_text, _LOADER, None)
    if loaded is None:
        # Problems are worded and placed as PyYAML's own loader does (libyaml's marks
        # can point a line further): load again with it to report them.
        loaded = _load(yaml_text, yaml.SafeLoader, source)
    if loaded is None:
        return None
    values, key_lines = loaded
    body_lines = lines[end + 1 :]
    return FrontMatter(values, key_lines, "\n".join(body_lines), end + 2)


def _load(
    yaml_text: str, loader_class: Any, source: Source | None
) -> tuple[dict[str, Any], dict[str, int]] | None:
    """The mapping's values and their lines, or None: not a mapping, or a YAML error
    (reported to `source` when given)."""
    loader = loader_class(yaml_text)
    try:
        node = loader.get_single_node()
        values: dict[str, Any] = {}
        key_lines: dict[str, int] = {}
        if node is not None:
            if not isinstance(node, yaml.MappingNode):
                if source is not None:
                    source.error(2, "front-matter-not-mapping")
                return None
            for key_node, value_node in node.value:
                key = str(loader.construct_object(key_node, deep=True))
                values[key] = loader.construct_object(value_node, deep=True)
                key_lines[key] = key_node.start_mark.line + 2
    except RecursionError:
        if source is not None:
            source.error(2, "front-matter-syntax", detail="too deeply nested")
        return None
    except yaml.YAMLError as exc:
        if source is not None:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 2 if mark is not None else 2
            detail = getattr(exc, "problem", None) or str(exc).split("\n")[0]
            source.error(line, "front-matter-syntax", detail=detail)
        return None
    finally:
        loader.dispose()
    return values, key_lines


def _nesting(text: str) -> int:
    """The deepest nesting of [ and { (quotes ignored: a cheap upper bound)."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest


def _first_alias(yaml_text: str) -> int | None:
    """The file line of the first YAML anchor or alias, or None."""
    try:
        for event in yaml.parse(yaml_text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return int(event.start_mark.line) + 2
    except yaml.YAMLError:
        return None  # reported with its line by the loader
    return None


def check_keys(front: FrontMatter, allowed: tuple[str, ...], source: Source) -> None:
    """Report unknown keys, with a did-you-mean where one is close."""
    for key, line in front.lines.items():
        if key in allowed:
            continue
        report_unknown_key(key, line, allowed, source)


def report_unknown_key(key: str, line: int, allowed: tuple[str, ...], source: Source) -> None:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        source.error(line, "unknown-key", key=key, suggestion=close[0])
    else:
        source.error(line, "unknown-key-no-suggestion", key=key, allowed=", ".join(allowed))
