"""Learning paths: an ordered sequence of modules with prerequisites, one Markdown file each.

A path lives in `courses/_paths/<slug>.md` (the underscore keeps the folder out of
the list of modules):

    ---
    title: Digital sicher arbeiten
    summary: Drei Lernmodule für den sicheren Alltag am Rechner.
    steps:
      - it-sicherheit
      - datenschutz-im-arbeitsalltag
      - course: ki-im-betrieb
        after: [it-sicherheit]
    ---
    Eine Beschreibung in Markdown (optional).

A step without `after` comes after the step before it; `after: []` makes a
step open from the start. Prerequisites must be earlier steps, so a path has
no cycles by construction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.content.frontmatter import Source, check_keys, decode, split
from lms.content.problems import Problem
from lms.content.render import render_markdown
from lms.models import Course, LearningPath

PATHS_FOLDER = "_paths"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
KEYS = ("title", "summary", "language", "steps")


@dataclass(frozen=True)
class Step:
    course: str
    after: tuple[str, ...]


@dataclass(frozen=True)
class PathSpec:
    slug: str
    title: str
    summary: str
    language: str
    steps: tuple[Step, ...]
    description_html: str


@dataclass(frozen=True)
class PathResult:
    path: str
    spec: PathSpec | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def path_files(courses_dir: Path) -> list[Path]:
    folder = courses_dir / PATHS_FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.md") if not p.name.startswith("."))


def _line_of(text: str, needle: str, after_line: int) -> int:
    """The first line after `after_line` that mentions `needle` (for messages)."""
    for number, line in enumerate(text.split("\n"), start=1):
        if number > after_line and needle in line:
            return number
    return after_line


def parse_path(file: Path, known_courses: Iterable[str]) -> PathResult:
    """Read and check one path file against the module names that exist."""
    source = Source(f"{PATHS_FOLDER}/{file.name}")
    slug = file.stem
    if not SLUG.match(slug):
        source.error(0, "path-bad-slug", name=file.name)
    text = decode(file.read_bytes(), source)
    front = split(text, source) if text is not None else None
    if text is None or front is None:
        return PathResult(source.path, None, tuple(source.problems))
    check_keys(front, KEYS, source)
    title = str(front.values.get("title") or "").strip()
    if not title:
        source.error(1, "missing-key", key="title")
    language = str(front.values.get("language") or "de")
    if language not in ("de", "en"):
        source.error(front.lines.get("language", 1), "bad-language", value=language)
    steps = _steps(front.values.get("steps"), front.lines.get("steps", 1), text, set(known_courses),
                   source)  # fmt: skip
    if source.problems and any(p.is_error for p in source.problems):
        return PathResult(source.path, None, tuple(source.problems))
    spec = PathSpec(
        slug=slug,
        title=title,
        summary=str(front.values.get("summary") or "").strip(),
        language=language,
        steps=steps,
        description_html=render_markdown(front.body) if front.body.strip() else "",
    )
    return PathResult(source.path, spec, tuple(source.problems))


def _steps(
    raw: Any, steps_line: int, text: str, known: set[str], source: Source
) -> tuple[Step, ...]:
    if not isinstance(raw, list) or not raw:
        source.error(steps_line, "path-no-steps")
        return ()
    steps: list[Step] = []
    seen: list[str] = []
    for number, item in enumerate(raw, start=1):
        if isinstance(item, str):
            course, after = item.strip(), tuple(seen[-1:])
        elif isinstance(item, dict) and isinstance(item.get("course"), str):
            course = item["course"].strip()
            given = item.get("after", seen[-1:])
            if isinstance(given, str):
                given = [given]
            if not isinstance(given, list) or not all(isinstance(g, str) for g in given):
                source.error(steps_line, "path-bad-step", number=number)
                continue
            after = tuple(g.strip() for g in given)
        else:
            source.error(steps_line, "path-bad-step", number=number)
            continue
        line = _line_of(text, course, steps_line)
        if course not in known:
            source.error(line, "path-unknown-course", slug=course)
        elif course in seen:
            source.error(line, "path-duplicate-course", slug=course)
        for prerequisite in after:
            if prerequisite not in seen:
                source.error(line, "path-bad-prerequisite", slug=course, after=prerequisite)
        seen.append(course)
        steps.append(Step(course, after))
    return tuple(steps)


def content_hash(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


def import_paths(
    session: Session, courses_dir: Path, now: datetime
) -> list[tuple[str, str, tuple[Problem, ...]]]:
    """Import every path file; returns (path, status, problems) with status "imported",
    "unchanged" or "failed" (a failed path keeps what was imported before)."""
    known = set(session.scalars(select(Course.slug)))
    outcomes = []
    for file in path_files(courses_dir):
        result = parse_path(file, known)
        if result.spec is None:
            outcomes.append((result.path, "failed", result.problems))
            continue
        spec, digest = result.spec, content_hash(file)
        path = session.scalar(select(LearningPath).where(LearningPath.slug == spec.slug))
        if path is not None and path.content_hash == digest:
            outcomes.append((result.path, "unchanged", result.problems))
            continue
        if path is None:
            path = LearningPath(slug=spec.slug)
            session.add(path)
        path.title = spec.title
        path.summary = spec.summary
        path.language = spec.language
        path.description_html = spec.description_html
        path.steps = [{"course": s.course, "after": list(s.after)} for s in spec.steps]
        path.content_hash = digest
        path.imported_at = now
        session.flush()
        outcomes.append((result.path, "imported", result.problems))
    return outcomes
