"""A module's evaluation questionnaire: `evaluation:` in course.md, translated in course.<lang>.md.

    evaluation:
      - id: overall
        type: scale            # 1–5, with a word for each end
        question: Wie hilfreich war das Lernmodul für Ihre Arbeit?
        low: gar nicht
        high: sehr
      - id: part
        type: choice
        question: Welcher Teil hat Ihnen am meisten gebracht?
        options: [Lektionen, Wissenscheck, Präsenztermin]
      - id: change
        type: text             # optional unless `optional: false`
        question: Was sollten wir ändern?

A translation (course.en.md) repeats each question's `id` with its `question`, `low`,
`high` and `options` in that language; the kinds and which questions are optional
come from course.md. A module without `evaluation:` is evaluated with the built-in
questions (`lms.evaluation.service.default_questions`). Problems carry the line of
the question or key, like every other course problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from lms.content.frontmatter import FrontMatter, Source, decode, report_unknown_key, split
from lms.content.problems import Problem
from lms.content.spec import EvaluationKind, EvaluationQuestion

KEYS = ("id", "type", "question", "optional", "low", "high", "options")
TRANSLATION_KEYS = ("id", "question", "low", "high", "options")
MAX_QUESTIONS = 12
MIN_OPTIONS, MAX_OPTIONS = 2, 10
MAX_TEXT = 300
QUESTION_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def parse(path: Path, front: FrontMatter, source: Source) -> tuple[EvaluationQuestion, ...]:
    """The questions of `evaluation:` in course.md (empty when there is none or it has errors)."""
    entries = _entries(path, front, source)
    if entries is None:
        return ()
    questions: list[EvaluationQuestion] = []
    seen: set[str] = set()
    errors = len(source.problems)
    for number, (entry, at, key_lines) in enumerate(entries, 1):
        for key in entry:
            if key not in KEYS:
                report_unknown_key(str(key), key_lines.get(str(key), at), KEYS, source)
        question_id = _identifier(entry, number, at, key_lines, source)
        if question_id in seen:
            source.error(key_lines.get("id", at), "evaluation-duplicate-id", id=question_id)
        seen.add(question_id)
        kind = _kind(entry, number, at, key_lines, source)
        text = _text(entry, "question", number, at, key_lines, source, required=True)
        optional = entry.get("optional", kind is EvaluationKind.TEXT)
        if not isinstance(optional, bool):
            source.error(key_lines.get("optional", at), "bad-value", key="optional",
                         value=optional, allowed="true, false")  # fmt: skip
            optional = False
        question = EvaluationQuestion(
            id=question_id, kind=kind or EvaluationKind.TEXT, text=text,
            optional=optional, line=at,
        )  # fmt: skip
        questions.append(_with_kind_texts(question, entry, number, key_lines, source))
    if len(source.problems) > errors:
        return ()
    return tuple(questions)


def translations(
    main: tuple[EvaluationQuestion, ...],
    main_language: str,
    course_files: dict[str, Path],
    relative: Callable[[Path], str],
) -> tuple[dict[str, tuple[EvaluationQuestion, ...]], list[Problem]]:
    """The questionnaire by language: the main language's, and each translation's.

    Every course.<lang>.md with `evaluation:` must translate every question of
    course.md (by id), and may not have one when course.md has none."""
    by_language = {main_language: main} if main else {}
    problems: list[Problem] = []
    for language, path in sorted(course_files.items()):
        if not language or language == main_language:
            continue
        quiet = Source(relative(path))  # the file's other problems are reported elsewhere
        text = decode(path.read_bytes(), quiet)
        front = split(text, quiet) if text is not None else None
        if front is None or front.values.get("evaluation") in (None, "", []):
            continue
        source = Source(relative(path))
        if not main:
            source.error(front.lines["evaluation"], "evaluation-translation-without-original")
        else:
            translated = _translate(path, front, main, source)
            if translated:
                by_language[language] = translated
        problems.extend(source.problems)
    return by_language, problems


def _translate(
    path: Path, front: FrontMatter, main: tuple[EvaluationQuestion, ...], source: Source
) -> tuple[EvaluationQuestion, ...]:
    entries = _entries(path, front, source)
    if entries is None:
        return ()
    originals = {question.id: question for question in main}
    found: dict[str, EvaluationQuestion] = {}
    errors = len(source.problems)
    for number, (entry, at, key_lines) in enumerate(entries, 1):
        for key in entry:
            if key not in TRANSLATION_KEYS:
                report_unknown_key(str(key), key_lines.get(str(key), at), TRANSLATION_KEYS, source)
        question_id = _identifier(entry, number, at, key_lines, source)
        original = originals.get(question_id)
        if original is None:
            if question_id:
                source.error(key_lines.get("id", at), "evaluation-unknown-id", id=question_id)
            continue
        text = _text(entry, "question", number, at, key_lines, source, required=True)
        question = EvaluationQuestion(
            id=original.id, kind=original.kind, text=text, optional=original.optional, line=at
        )
        question = _with_kind_texts(question, entry, number, key_lines, source)
        if original.kind is EvaluationKind.CHOICE and len(question.options) != len(
            original.options
        ):
            source.error(key_lines.get("options", at), "evaluation-options-differ",
                         id=question_id, count=len(original.options))  # fmt: skip
        found[question_id] = question
    missing = [question.id for question in main if question.id not in found]
    if missing:
        source.error(front.lines["evaluation"], "evaluation-translation-missing",
                     ids=", ".join(missing))  # fmt: skip
    if len(source.problems) > errors:
        return ()
    return tuple(found[question.id] for question in main)


# --- Reading the entries ------------------------------------------------------------------


Entry = tuple[dict[str, Any], int, dict[str, int]]
"""(the question's keys and values, its line, each key's line)."""


def _entries(path: Path, front: FrontMatter, source: Source) -> list[Entry] | None:
    value = front.values.get("evaluation")
    if value in (None, "", []):
        return None
    line = front.lines["evaluation"]
    if not isinstance(value, list):
        source.error(line, "evaluation-not-list")
        return None
    if len(value) > MAX_QUESTIONS:
        source.error(line, "evaluation-too-many", count=len(value), limit=MAX_QUESTIONS)
        return None
    lines = _entry_lines(path, front)
    entries: list[Entry] = []
    for number, entry in enumerate(value, 1):
        at, key_lines = lines[number - 1] if number <= len(lines) else (line, {})
        if not isinstance(entry, dict):
            source.error(at, "evaluation-not-question", number=number)
            continue
        entries.append(({str(k): v for k, v in entry.items()}, at, key_lines))
    return entries


def _entry_lines(path: Path, front: FrontMatter) -> list[tuple[int, dict[str, int]]]:
    """Each entry's line in the file and its keys' lines: the loaded values keep none, so
    the front matter is composed again (it was loaded safely before, and is small)."""
    text = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    try:
        root = yaml.compose("\n".join(lines[1 : front.body_line - 2]), Loader=yaml.SafeLoader)
    except yaml.YAMLError:  # pragma: no cover - the loader reported it already
        return []
    if not isinstance(root, yaml.MappingNode):  # pragma: no cover - likewise
        return []
    for key_node, value_node in root.value:
        if key_node.value == "evaluation" and isinstance(value_node, yaml.SequenceNode):
            return [
                (
                    item.start_mark.line + 2,
                    {str(k.value): k.start_mark.line + 2 for k, _v in item.value}
                    if isinstance(item, yaml.MappingNode)
                    else {},
                )
                for item in value_node.value
            ]
    return []


def _identifier(
    entry: dict[str, Any], number: int, at: int, key_lines: dict[str, int], source: Source
) -> str:
    question_id = str(entry.get("id") or "").strip()
    if not question_id:
        source.error(at, "evaluation-missing-key", number=number, key="id")
    elif not QUESTION_ID.match(question_id):
        source.error(key_lines.get("id", at), "evaluation-bad-id", id=question_id)
    return question_id


def _kind(
    entry: dict[str, Any], number: int, at: int, key_lines: dict[str, int], source: Source
) -> EvaluationKind | None:
    value = str(entry.get("type") or "").strip()
    if not value:
        source.error(at, "evaluation-missing-key", number=number, key="type")
        return None
    try:
        return EvaluationKind(value)
    except ValueError:
        source.error(key_lines.get("type", at), "bad-value", key="type", value=value,
                     allowed=", ".join(kind.value for kind in EvaluationKind))  # fmt: skip
        return None


def _text(
    entry: dict[str, Any],
    key: str,
    number: int,
    at: int,
    key_lines: dict[str, int],
    source: Source,
    *,
    required: bool,
) -> str:
    value = entry.get(key)
    text = "" if value is None or isinstance(value, dict | list) else str(value).strip()
    if not text:
        if required or value is not None:
            source.error(key_lines.get(key, at), "evaluation-missing-key", number=number, key=key)
        return ""
    if len(text) > MAX_TEXT:
        source.error(key_lines.get(key, at), "evaluation-too-long", key=key, limit=MAX_TEXT)
    return text


def _with_kind_texts(
    question: EvaluationQuestion,
    entry: dict[str, Any],
    number: int,
    key_lines: dict[str, int],
    source: Source,
) -> EvaluationQuestion:
    """The question with the words of its scale's ends or its options, as its kind needs."""
    at = question.line
    needs = {
        EvaluationKind.SCALE: ("low", "high"),
        EvaluationKind.CHOICE: ("options",),
        EvaluationKind.TEXT: (),
    }[question.kind]
    for key in ("low", "high", "options"):
        if key in entry and key not in needs:
            source.error(key_lines.get(key, at), "evaluation-key-not-for-kind", key=key,
                         kind=question.kind.value)  # fmt: skip
    if question.kind is EvaluationKind.SCALE:
        low = _text(entry, "low", number, at, key_lines, source, required=True)
        high = _text(entry, "high", number, at, key_lines, source, required=True)
        return replace(question, low=low, high=high)
    if question.kind is EvaluationKind.CHOICE:
        value = entry.get("options")
        options = [str(o).strip() for o in value] if isinstance(value, list) else []
        if (
            not MIN_OPTIONS <= len(options) <= MAX_OPTIONS
            or not all(options)
            or len(set(options)) != len(options)
            or any(isinstance(o, dict | list) for o in value or [])
        ):
            source.error(key_lines.get("options", at), "evaluation-options", number=number,
                         low=MIN_OPTIONS, high=MAX_OPTIONS)  # fmt: skip
            return question
        return replace(question, options=tuple(options))
    return question
