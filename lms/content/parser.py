"""Parse and check a course folder: `parse_course(folder)` → spec and problems.

Every problem is collected, not only the first; a course with any error gives
no spec. Paths in problems are relative to the folder holding the courses, so
a message reads `it-sicherheit/03-quiz.md:14: …`.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.content import evaluation, markdown_checks
from lms.content.frontmatter import FrontMatter, Source, check_keys, decode, split
from lms.content.handin import HANDIN_KEYS, accepted_kinds
from lms.content.problems import Problem, Severity, sort_key
from lms.content.quiz import parse_questions
from lms.content.spec import (
    ChecklistItem,
    CourseSpec,
    CourseTexts,
    PackageSpec,
    Question,
    QuizSettings,
    ShowAnswers,
    Unit,
    UnitType,
    Validity,
)
from lms.packages import reading as package_reading

LANGUAGES = ("de", "en")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
UNIT_FILE = re.compile(
    r"^(?P<pos>\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)(?:\.(?P<lang>[a-z]{2}))?\.md$"
)
COURSE_FILE = re.compile(r"^course(?:\.(?P<lang>[a-z]{2}))?\.md$")
VALIDITY = re.compile(r"^\s*(?P<n>\d+)\s*(?P<unit>[A-Za-zäöü]+)\s*$")
VALIDITY_UNITS = {
    "day": "days",
    "days": "days",
    "tag": "days",
    "tage": "days",
    "month": "months",
    "months": "months",
    "monat": "months",
    "monate": "months",
    "year": "years",
    "years": "years",
    "jahr": "years",
    "jahre": "years",
}
# Weeks are written as days: "2 weeks" is 14 days.
WEEK_UNITS = {"week", "weeks", "woche", "wochen"}
MAX_REFRESHERS = 6

COURSE_KEYS = (
    "title",
    "summary",
    "language",
    "minutes",
    "audience",
    "tags",
    "valid_for",
    "completion",
    "requalification",
    "refresh",
    "evaluation",
)
COURSE_TRANSLATION_KEYS = ("title", "summary", "audience", "tags", "evaluation")
# Topics (tags:) are short labels shown on the catalogue's cards and in its filter.
MAX_TAGS = 8
MAX_TAG_LENGTH = 40
UNIT_KEYS = ("type", "title", "minutes")
QUIZ_KEYS = ("pass_mark", "max_attempts", "shuffle", "draw", "show_answers")
PACKAGE_KEYS = ("package",)
PACKAGE_PATH = re.compile(r"^packages/[^/\\]+\.zip$", re.IGNORECASE)

SECTION = re.compile(r"^##(?!#)\s*(?P<title>.+?)\s*$")
LIST_ITEM = re.compile(r"^[-*]\s+(?P<text>.+)$")
TASK_ITEM = re.compile(r"^[-*]\s+\[[ xX]\]\s+(?P<text>.+?)\s*(?:\{#(?P<id>[A-Za-z0-9_-]+)\})?\s*$")
GOALS = {"ziele", "goals", "lernziele"}
BRING = {"mitbringen", "bring", "what to bring"}
CHECKLIST = {"checkliste", "checklist"}


@dataclass(frozen=True)
class ParseResult:
    spec: CourseSpec | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def ok(self) -> bool:
        return self.spec is not None


def slugify(text: str) -> str:
    text = text.lower()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "item"


def parse_course(folder: Path) -> ParseResult:
    """Read `folder` (a course) and return its spec, or only problems if it has errors."""
    folder = Path(folder)
    root = folder.parent
    problems: list[Problem] = []

    def rel(path: Path) -> str:
        return PurePosixPath(path.relative_to(root)).as_posix()

    if not folder.is_dir():
        problems.append(Problem(folder.name or str(folder), 0, "not-a-folder"))
        return ParseResult(None, tuple(problems))
    folder_source = Source(rel(folder))
    if not SLUG.match(folder.name):
        folder_source.error(0, "bad-slug", name=folder.name)
    assets = markdown_checks.collect_assets(folder, folder_source)

    course_files: dict[str, Path] = {}
    unit_files: list[tuple[Path, re.Match[str]]] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix != ".md":
            continue
        course_match = COURSE_FILE.match(path.name)
        unit_match = UNIT_FILE.match(path.name)
        if course_match:
            course_files[course_match.group("lang") or ""] = path
        elif unit_match:
            unit_files.append((path, unit_match))
        elif path.name.lower() != "readme.md":
            problems.append(Problem(rel(path), 0, "bad-file-name", {"name": path.name}))

    if "" not in course_files:
        folder_source.error(0, "course-md-missing")
        problems.extend(folder_source.problems)
        return ParseResult(None, tuple(sorted(problems, key=sort_key)))

    course_source = Source(rel(course_files[""]))
    course = _parse_course_md(course_files[""], course_source, assets)
    problems.extend(folder_source.problems)
    problems.extend(course_source.problems)
    main_language = course["language"] if course else "de"

    texts: dict[str, CourseTexts] = {}
    if course:
        texts[main_language] = course["texts"]
    for lang, path in course_files.items():
        if not lang:
            continue
        source = Source(rel(path))
        translated = _parse_course_translation(path, lang, main_language, source, assets)
        problems.extend(source.problems)
        if translated and course:
            texts[lang] = replace(
                translated,
                summary=translated.summary or course["texts"].summary,
                tags=translated.tags or course["texts"].tags,
            )

    packages = _Packages(folder)
    units: dict[str, list[Unit]] = {}
    originals: dict[str, Unit] = {}
    positions: dict[int, str] = {}
    pending_translations: list[tuple[Path, re.Match[str]]] = []
    for path, match in unit_files:
        lang = match.group("lang")
        if lang:
            pending_translations.append((path, match))
            continue
        source = Source(rel(path))
        position = int(match.group("pos"))
        if position in positions:
            source.error(0, "duplicate-position", position=match.group("pos"))
        positions[position] = match.group("slug")
        if match.group("slug") in originals:
            source.error(0, "duplicate-unit-id", id=match.group("slug"))
        unit = _parse_unit(path, rel(path), match, main_language, source, assets, packages)
        problems.extend(source.problems)
        if unit is not None:
            originals[unit.id] = unit
            units.setdefault(main_language, []).append(unit)
    if not unit_files:
        problems.append(Problem(rel(folder), 0, "no-units"))

    for path, match in pending_translations:
        source = Source(rel(path))
        lang = match.group("lang")
        original = originals.get(match.group("slug"))
        if lang not in LANGUAGES:
            source.error(0, "unknown-language-file", lang=lang)
        elif lang == main_language:
            source.error(0, "translation-of-main-language", lang=lang)
        elif original is None:
            base = f"{match.group('pos')}-{match.group('slug')}.md"
            source.error(0, "translation-without-original", name=base)
        else:
            unit = _parse_unit(path, rel(path), match, lang, source, assets, packages)
            if unit is not None:
                _compare_translation(original, unit, source)
                unit = packages.translated(original, unit, source)
                # Settings come from the original; a translation changes texts only.
                units.setdefault(lang, []).append(replace(unit, quiz=original.quiz))
        problems.extend(source.problems)

    problems.extend(_check_question_ids(units.get(main_language, [])))
    questionnaire, evaluation_problems = evaluation.translations(
        course["evaluation"] if course else (), main_language, course_files, rel
    )
    problems.extend(evaluation_problems)
    if (
        course
        and course["refresh"]
        and not any(unit.questions for unit in units.get(main_language, []))
    ):
        problems.append(
            Problem(
                course_source.path,
                course["refresh_line"],
                "refresh-without-questions",
                severity=Severity.WARNING,
            )
        )
    problems.sort(key=sort_key)
    if course is None or any(p.is_error for p in problems) or not units.get(main_language):
        return ParseResult(None, tuple(problems))
    ordered = {
        lang: tuple(sorted(items, key=lambda u: u.position)) for lang, items in units.items()
    }
    spec = CourseSpec(
        slug=folder.name,
        language=main_language,
        texts=texts,
        minutes=course["minutes"] or sum(u.minutes for u in ordered[main_language]),
        tags=course["tags"],
        valid_for=course["valid_for"],
        completion=course["completion"],
        requalification=course["requalification"],
        refresh=course["refresh"],
        units=ordered,
        assets=tuple(sorted(assets)),
        evaluation=questionnaire,
    )
    return ParseResult(spec, tuple(problems))


# --- course.md -------------------------------------------------------------------


def _read(path: Path, source: Source) -> FrontMatter | None:
    text = decode(path.read_bytes(), source)
    return split(text, source) if text is not None else None


def _required_text(front: FrontMatter, key: str, source: Source) -> str:
    value = front.values.get(key)
    if key not in front.values:
        source.error(1, "missing-key", key=key)
        return ""
    if value is None or not str(value).strip():
        source.error(front.lines[key], "empty-value", key=key)
        return ""
    return str(value).strip()


def _int_value(
    front: FrontMatter, key: str, default: int, low: int, high: int, source: Source
) -> int:
    if key not in front.values:
        return default
    value = front.values[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        source.error(
            front.lines[key],
            "bad-number",
            key=key,
            value=value,
            low=low,
            high=high,
            example=default or low,
        )
        return default
    return value


def _choice_value(front: FrontMatter, key: str, allowed: tuple[str, ...], source: Source) -> str:
    value = str(front.values.get(key, allowed[0])).strip()
    if value not in allowed:
        source.error(
            front.lines[key], "bad-value", key=key, value=value, allowed=", ".join(allowed)
        )
        return allowed[0]
    return value


def _parse_course_md(path: Path, source: Source, assets: set[str]) -> dict[str, Any] | None:
    front = _read(path, source)
    if front is None:
        return None
    check_keys(front, COURSE_KEYS, source)
    title = _required_text(front, "title", source)
    summary = _required_text(front, "summary", source)
    language = _required_text(front, "language", source)
    if language and language not in LANGUAGES:
        source.error(front.lines["language"], "bad-language", value=language)
        language = "de"
    tags = _tags(front, source)
    valid_for = None
    if front.values.get("valid_for") not in (None, ""):
        valid_for = _validity(str(front.values["valid_for"]), front.lines["valid_for"], source)
    markdown_checks.check(front.body, front.body_line, source, assets)
    return {
        "language": language or "de",
        "texts": CourseTexts(
            language=language or "de",
            title=title,
            summary=summary,
            audience=str(front.values.get("audience") or "").strip(),
            description=front.body.strip(),
            tags=tags,
        ),
        "minutes": _int_value(front, "minutes", 0, 1, 10_000, source),
        "tags": tags,
        "valid_for": valid_for,
        "completion": _choice_value(front, "completion", ("all",), source),
        "requalification": _choice_value(front, "requalification", ("none", "required"), source)
        == "required",
        "refresh": _refresh(front, source),
        "refresh_line": front.lines.get("refresh", 1),
        "evaluation": evaluation.parse(path, front, source),
    }


def _tags(front: FrontMatter, source: Source) -> tuple[str, ...]:
    """`tags: [Datenschutz, DSGVO]`: the course's topics, a list or one text with commas.

    Each is a short label (inner spaces collapsed); a second spelling of the same topic
    (case aside) is dropped with a warning."""
    value = front.values.get("tags")
    if value is None or value in ("", []):
        return ()
    line = front.lines["tags"]
    entries = value.split(",") if isinstance(value, str) else value
    if not isinstance(entries, list) or any(isinstance(e, dict | list) for e in entries):
        source.error(line, "bad-tags")
        return ()
    if len(entries) > MAX_TAGS:
        source.error(line, "too-many-tags", count=len(entries), limit=MAX_TAGS)
        return ()
    tags: list[str] = []
    for entry in entries:
        tag = " ".join(str(entry if entry is not None else "").split())
        if not tag:
            source.error(line, "empty-tag")
            return ()
        if len(tag) > MAX_TAG_LENGTH:
            source.error(line, "tag-too-long", tag=tag[:MAX_TAG_LENGTH] + "…", limit=MAX_TAG_LENGTH)
            return ()
        if tag.casefold() in {t.casefold() for t in tags}:
            source.warn(line, "duplicate-tag", tag=tag)
            continue
        tags.append(tag)
    return tuple(tags)


def _refresh(front: FrontMatter, source: Source) -> tuple[Validity, ...]:
    """`refresh: [7 days, 30 days]`: the days after completing the course on which a
    learner gets a short repetition. A list, or one text with commas."""
    value = front.values.get("refresh")
    if value in (None, "", []):
        return ()
    line = front.lines["refresh"]
    entries = value if isinstance(value, list) else str(value).split(",")
    periods: list[Validity] = []
    for entry in entries:
        period = VALIDITY.match(str(entry))
        unit = period and period.group("unit").lower()
        amount = int(period.group("n")) if period else 0
        if unit in WEEK_UNITS:
            unit, amount = "days", amount * 7
        unit = VALIDITY_UNITS.get(unit or "")
        if unit is None or amount <= 0:
            source.error(line, "bad-refresh", value=str(entry).strip())
            return ()
        periods.append(Validity(amount, unit))
    if len(periods) > MAX_REFRESHERS:
        source.error(line, "too-many-refreshers", count=len(periods), limit=MAX_REFRESHERS)
        return ()
    lengths = [period.approximate_days for period in periods]
    if any(later <= earlier for earlier, later in itertools.pairwise(lengths)):
        source.error(line, "refresh-order")
        return ()
    return tuple(periods)


def _validity(value: str, line: int, source: Source) -> Validity | None:
    match = VALIDITY.match(value)
    unit = VALIDITY_UNITS.get(match.group("unit").lower()) if match else None
    if match is None or unit is None or int(match.group("n")) <= 0:
        source.error(line, "bad-validity", value=value)
        return None
    return Validity(int(match.group("n")), unit)


def _parse_course_translation(
    path: Path, lang: str, main_language: str, source: Source, assets: set[str]
) -> CourseTexts | None:
    if lang not in LANGUAGES:
        source.error(0, "unknown-language-file", lang=lang)
        return None
    if lang == main_language:
        source.error(0, "translation-of-main-language", lang=lang)
        return None
    front = _read(path, source)
    if front is None:
        return None
    check_keys(front, COURSE_TRANSLATION_KEYS, source)
    markdown_checks.check(front.body, front.body_line, source, assets)
    return CourseTexts(
        language=lang,
        title=_required_text(front, "title", source),
        summary=str(front.values.get("summary") or "").strip(),
        audience=str(front.values.get("audience") or "").strip(),
        description=front.body.strip(),
        tags=_tags(front, source),
    )


# --- Units -------------------------------------------------------------------------


def _parse_unit(
    path: Path,
    rel_path: str,
    match: re.Match[str],
    language: str,
    source: Source,
    assets: set[str],
    packages: _Packages,
) -> Unit | None:
    front = _read(path, source)
    if front is None:
        return None
    type_value = _required_text(front, "type", source)
    try:
        unit_type = UnitType(type_value) if type_value else None
    except ValueError:
        source.error(
            front.lines["type"],
            "bad-value",
            key="type",
            value=type_value,
            allowed=", ".join(t.value for t in UnitType),
        )
        unit_type = None
    allowed = UNIT_KEYS + (QUIZ_KEYS if unit_type is UnitType.QUIZ else ())
    allowed += HANDIN_KEYS if unit_type is UnitType.HANDIN else ()
    allowed += PACKAGE_KEYS if unit_type is UnitType.PACKAGE else ()
    check_keys(front, allowed, source)
    title = _required_text(front, "title", source)
    minutes = _int_value(front, "minutes", 5, 1, 1000, source)
    if unit_type is None:
        return None
    common: dict[str, Any] = {
        "id": match.group("slug"),
        "position": int(match.group("pos")),
        "language": language,
        "path": rel_path,
        "type": unit_type,
        "title": title,
        "minutes": minutes,
        "body": front.body.strip("\n"),
        "body_line": front.body_line,
    }
    if unit_type is UnitType.QUIZ:
        return _quiz_unit(front, source, assets, common)
    markdown_checks.check(front.body, front.body_line, source, assets)
    if unit_type is UnitType.PACKAGE:
        # The package is the content; the text (may be empty) is shown before it starts.
        is_translation = match.group("lang") is not None
        package = packages.named(front, rel_path, source, required=not is_translation)
        if package is None and not is_translation:
            return None
        return Unit(**common, package=package)
    if not front.body.strip():
        source.error(front.body_line if front.body_line else 1, "empty-unit")
        return None
    if unit_type is UnitType.IN_PERSON:
        sections = _sections(front)
        common["goals"] = tuple(_list_items(sections, GOALS))
        common["bring"] = tuple(_list_items(sections, BRING))
    elif unit_type is UnitType.PRACTICAL:
        common["checklist"] = _checklist(front, source)
        if not common["checklist"]:
            return None
        # The checklist is shown as its own part, not as a list inside the text.
        common["body"] = _without_section(front.body, CHECKLIST).strip("\n")
    elif unit_type is UnitType.HANDIN:
        common["accepts"] = accepted_kinds(front, source)
    return Unit(**common)


def _quiz_unit(
    front: FrontMatter, source: Source, assets: set[str], common: dict[str, Any]
) -> Unit | None:
    show = (
        _choice_value(front, "show_answers", tuple(s.value for s in ShowAnswers), source)
        if "show_answers" in front.values
        else ShowAnswers.AFTER_SUBMIT.value
    )
    shuffle = front.values.get("shuffle", False)
    if not isinstance(shuffle, bool):
        source.error(
            front.lines["shuffle"], "bad-value", key="shuffle", value=shuffle, allowed="true, false"
        )
        shuffle = False
    draw = _int_value(front, "draw", 0, 1, 1000, source) or None
    settings = QuizSettings(
        pass_mark=_int_value(front, "pass_mark", 80, 0, 100, source),
        max_attempts=_int_value(front, "max_attempts", 0, 0, 100, source),
        shuffle=shuffle,
        draw=draw,
        show_answers=ShowAnswers(show),
    )
    intro, questions = parse_questions(front.body, front.body_line, source)
    markdown_checks.check(front.body, front.body_line, source, assets)
    if not questions and not any(p.is_error for p in source.problems):
        source.error(front.body_line, "no-questions")
        return None
    if draw is not None and questions and draw > len(questions):
        source.error(front.lines["draw"], "draw-too-large", draw=draw, count=len(questions))
    common["body"] = intro
    return Unit(**common, quiz=settings, questions=questions)


def _sections(front: FrontMatter) -> dict[str, list[tuple[int, str]]]:
    """Lines of the body grouped under their `##` heading (lower-cased title)."""
    sections: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = None
    for offset, line in enumerate(front.body.split("\n")):
        heading = SECTION.match(line)
        if heading:
            current = sections.setdefault(heading.group("title").strip().lower(), [])
        elif current is not None:
            current.append((front.body_line + offset, line))
    return sections


def _without_section(body: str, names: set[str]) -> str:
    kept: list[str] = []
    skipping = False
    for line in body.split("\n"):
        heading = SECTION.match(line)
        if heading:
            skipping = heading.group("title").strip().lower() in names
        if not skipping:
            kept.append(line)
    return "\n".join(kept)


def _list_items(sections: dict[str, list[tuple[int, str]]], names: set[str]) -> list[str]:
    for name, lines in sections.items():
        if name in names:
            return [m.group("text").strip() for _n, line in lines if (m := LIST_ITEM.match(line))]
    return []


def _checklist(front: FrontMatter, source: Source) -> tuple[ChecklistItem, ...]:
    sections = _sections(front)
    lines = next((lines for name, lines in sections.items() if name in CHECKLIST), None)
    items: list[ChecklistItem] = []
    seen: set[str] = set()
    for number, line in lines or []:
        match = TASK_ITEM.match(line)
        if not match:
            continue
        item_id = match.group("id") or slugify(match.group("text"))
        if item_id in seen:
            source.error(number, "duplicate-checklist-id", id=item_id)
        seen.add(item_id)
        items.append(ChecklistItem(item_id, match.group("text"), number))
    if not items:
        source.error(front.body_line, "checklist-missing")
    return tuple(items)


# --- Package units ----------------------------------------------------------------------


@dataclass
class _Packages:
    """The packages the units of one course name (`package:`), each ZIP read once however
    many units and languages name it."""

    folder: Path
    read: dict[tuple[str, str], PackageSpec | tuple[Problem, ...]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # unit path -> line of package:

    def named(
        self, front: FrontMatter, unit_path: str, source: Source, required: bool
    ) -> PackageSpec | None:
        """The package a unit names, read and checked; its problems are the unit's, at
        the line of `package:`, naming the file and line inside the package."""
        if front.values.get("package") in (None, ""):
            if required:
                source.error(1, "missing-key", key="package")
            return None
        line = self.lines[unit_path] = front.lines["package"]
        value = str(front.values["package"]).strip()
        if not PACKAGE_PATH.match(value) or package_reading.unsafe(value):
            source.error(line, "package-path", value=value)
            return None
        path = self.folder / value
        if path.is_symlink() or not path.is_file():
            source.error(line, "package-file-missing", value=value)
            return None
        if path.stat().st_size > package_reading.MAX_UNPACKED:
            found: PackageSpec | tuple[Problem, ...] = (
                Problem(value, 0, "package-too-large", {"limit": package_reading.MAX_MB}),
            )
        else:
            data = path.read_bytes()
            key = (value, hashlib.sha256(data).hexdigest())
            if key not in self.read:
                try:
                    self.read[key] = package_reading.read_package(data, value)[0]
                except package_reading.PackageError as refused:
                    self.read[key] = refused.problems
            found = self.read[key]
        if isinstance(found, PackageSpec):
            return found
        for problem in found:
            source.error(
                line,
                "package-problem",
                package=value,
                where=LazyString(_where, problem, value),
                message=LazyString(problem.message),
                hint=LazyString(problem.hint),
            )
        return None

    def translated(self, original: Unit, translation: Unit, source: Source) -> Unit:
        """A translated package unit with the original's package when it names none, or
        its own, whose items must have the original's ids."""
        if original.package is None or translation.type is not UnitType.PACKAGE:
            return translation
        if translation.package is None:
            return replace(translation, package=original.package)
        ours = [item.id for item in original.package.items]
        theirs = [item.id for item in translation.package.items]
        if ours != theirs:
            source.error(
                self.lines.get(translation.path, 1),
                "package-items-differ",
                original=", ".join(ours),
                translation=", ".join(theirs) or "–",
            )
        return translation


def _where(problem: Problem, package: str) -> str:
    """Where in the package a problem is ("imsmanifest.xml, line 14: "); nothing for one
    about the ZIP as a whole."""
    if problem.path == package:
        return ""
    if problem.line:
        return _("%(file)s, line %(line)s", file=problem.path, line=problem.line) + ": "
    return f"{problem.path}: "


# --- Cross checks ---------------------------------------------------------------------


def _check_question_ids(units: list[Unit]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for unit in sorted(units, key=lambda u: u.position):
        for question in unit.questions:
            where = f"{unit.path}:{question.line}"
            if question.id in seen:
                problems.append(
                    Problem(
                        unit.path,
                        question.line,
                        "duplicate-question-id",
                        {"id": question.id, "other": seen[question.id]},
                    )
                )
            else:
                seen[question.id] = where
    return problems


def answer_signature(question: Question) -> tuple[object, ...]:
    """What a translation must keep: type, points, correctness, numbers, structure."""
    return (
        question.type,
        question.points,
        tuple(c.correct for c in question.choices),
        question.scoring,
        question.answer_bool,
        question.number,
        question.tolerance,
        tuple((bool(g.choices), tuple(c.correct for c in g.choices)) for g in question.gaps),
        len(question.pairs),
        len(question.distractors),
        len(question.items),
        tuple(c.weight for c in question.choices),
        question.bands,
        tuple(criterion.points for criterion in question.rubric),
        (question.min_words, question.max_words),
    )


def _compare_translation(original: Unit, translation: Unit, source: Source) -> None:
    if original.type is not translation.type:
        source.error(
            1, "translation-type-differs", type=translation.type.value, original=original.type.value
        )
        return
    theirs = {q.id: q for q in translation.questions}
    ours = {q.id: q for q in original.questions}
    for qid, question in ours.items():
        if qid not in theirs:
            source.error(
                0,
                "question-missing-in-translation",
                id=qid,
                lang=translation.language,
                path=translation.path,
            )
        elif answer_signature(question) != answer_signature(theirs[qid]):
            source.error(
                theirs[qid].line,
                "translation-differs",
                id=qid,
                detail=_first_difference(question, theirs[qid]),
            )
    for qid, question in theirs.items():
        if qid not in ours:
            source.error(
                question.line,
                "question-only-in-translation",
                id=qid,
                lang=translation.language,
                path=original.path,
            )
    our_items = [item.id for item in original.checklist]
    their_items = [item.id for item in translation.checklist]
    if our_items != their_items:
        source.error(
            0,
            "translation-checklist-differs",
            original=", ".join(our_items) or "–",
            translation=", ".join(their_items) or "–",
        )


# What `answer_signature` compares, in its order, as named in messages.
SIGNATURE_PARTS = (
    _l("type"),
    _l("points"),
    _l("correct answers"),
    _l("scoring"),
    _l("true/false answer"),
    _l("number"),
    _l("tolerance"),
    _l("gaps"),
    _l("pairs"),
    _l("distractors"),
    _l("steps"),
    _l("answer weights"),
    _l("partial credit"),
    _l("rubric points"),
    _l("word limits"),
)


def _first_difference(a: Question, b: Question) -> LazyString:
    """The name of the first differing part; translated only when the message is shown."""
    parts = zip(SIGNATURE_PARTS, answer_signature(a), answer_signature(b), strict=True)
    return next((name for name, left, right in parts if left != right), _l("answers"))
