"""Topics of a course (`tags:` in course.md): read per language, checked with file and line."""

from __future__ import annotations

import pytest

from lms.content.parser import parse_course
from lms.content.problems import Severity
from tests.unit.test_course_parser import COURSE_MD, write_course

# The problems these tests cover (test_course_parser.py checks every message is tested).
TOPIC_CODES = {"bad-tags", "empty-tag", "tag-too-long", "too-many-tags", "duplicate-tag"}

COURSE_EN = """\
---
title: Test course
summary: A course for tests
tags: [Data protection, Digital tools]
---
"""


def with_tags(tags_line: str) -> str:
    return COURSE_MD.replace("tags: [test, pflicht]", tags_line)


@pytest.fixture
def en(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def test_topics_are_read_in_each_language(tmp_path, en):
    folder = write_course(
        tmp_path,
        {
            "course.md": with_tags("tags: [Datenschutz, Digitale  Werkzeuge]"),
            "course.en.md": COURSE_EN,
            "01-einstieg.en.md": "---\ntype: lesson\ntitle: Start\n---\nText.\n",
        },
    )
    spec = parse_course(folder).spec
    assert spec.texts["de"].tags == ("Datenschutz", "Digitale Werkzeuge")
    assert spec.texts["en"].tags == ("Data protection", "Digital tools")
    assert spec.tags == ("Datenschutz", "Digitale Werkzeuge")


def test_a_translation_without_topics_keeps_the_originals(tmp_path, en):
    folder = write_course(
        tmp_path,
        {
            "course.md": with_tags("tags: Datenschutz, DSGVO"),  # one text with commas
            "course.en.md": COURSE_EN.replace("tags: [Data protection, Digital tools]\n", ""),
        },
    )
    spec = parse_course(folder).spec
    assert spec.texts["en"].tags == spec.texts["de"].tags == ("Datenschutz", "DSGVO")


@pytest.mark.parametrize(
    ("tags_line", "code", "words"),
    [
        ("tags: {Datenschutz: ja}", "bad-tags", "is not a list of topics"),
        ("tags: [Datenschutz, [DSGVO]]", "bad-tags", "is not a list of topics"),
        ("tags: [Datenschutz, '']", "empty-tag", "one of the topics is empty"),
        ("tags:\n  - Datenschutz\n  -", "empty-tag", "one of the topics is empty"),
        ("tags: [" + "Sehr " * 9 + "lang]", "tag-too-long", "longer than 40 characters"),
        ("tags: [" + ", ".join(f"T{n}" for n in range(9)) + "]", "too-many-tags", "9 topics"),
    ],
)
def test_bad_topics_are_errors_with_file_and_line(tmp_path, en, tags_line, code, words):
    result = parse_course(write_course(tmp_path, {"course.md": with_tags(tags_line)}))
    assert result.spec is None
    [problem] = result.errors
    assert (problem.code, problem.path, problem.line) == (code, "testkurs/course.md", 6)
    assert problem.format().startswith("testkurs/course.md:6: tags:")
    assert words in problem.message()


def test_a_topic_written_twice_is_kept_once_with_a_warning(tmp_path, en):
    result = parse_course(write_course(tmp_path, {"course.md": with_tags("tags: [KI, ki, DSGVO]")}))
    assert result.spec.tags == ("KI", "DSGVO")
    [problem] = result.problems
    assert problem.severity is Severity.WARNING and problem.line == 6
    assert "ki appears twice" in problem.message()


def test_bad_topics_in_a_translation_name_the_translation(tmp_path, en):
    folder = write_course(
        tmp_path, {"course.en.md": COURSE_EN.replace("Digital tools]", "Digital tools, '']")}
    )
    [problem] = parse_course(folder).errors
    assert (problem.path, problem.line, problem.code) == ("testkurs/course.en.md", 4, "empty-tag")
