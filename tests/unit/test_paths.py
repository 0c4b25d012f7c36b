"""Learning paths: the file format, its checks, import, and where a learner stands."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.content.importer import import_course
from lms.content.paths import import_paths, parse_path
from lms.models import Course, LearningPath
from lms.services import learning, paths
from lms.services.paths import Prerequisite, StepStatus
from tests.unit.test_assignments import complete
from tests.unit.test_course_parser import write_course

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KNOWN = {"eins", "zwei", "drei"}

GOOD = """\
---
title: Mein Pfad
summary: Drei Schritte.
steps:
  - eins
  - zwei
  - course: drei
    after: [eins]
---
Beschreibung mit **Markdown**.
"""

# (file name, text, the problem's code): every check of a path file.
PATH_CASES = [
    ("Mein Pfad.md", GOOD, "path-bad-slug"),
    ("p.md", "---\ntitle: P\n---\n", "path-no-steps"),
    ("p.md", "---\ntitle: P\nsteps:\n  - [eins]\n---\n", "path-bad-step"),
    ("p.md", "---\ntitle: P\nsteps:\n  - eins\n  - vier\n---\n", "path-unknown-course"),
    ("p.md", "---\ntitle: P\nsteps:\n  - eins\n  - eins\n---\n", "path-duplicate-course"),
    (
        "p.md",
        "---\ntitle: P\nsteps:\n  - course: eins\n    after: [zwei]\n  - zwei\n---\n",
        "path-bad-prerequisite",
    ),
]


def write(tmp_path, name, text):
    file = tmp_path / "_paths" / name
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(textwrap.dedent(text), encoding="utf-8")
    return file


def test_a_path_file_becomes_steps_with_prerequisites(tmp_path, app):
    with app.test_request_context():
        result = parse_path(write(tmp_path, "mein-pfad.md", GOOD), KNOWN)
    assert result.problems == ()
    spec = result.spec
    assert (spec.slug, spec.title, spec.summary) == ("mein-pfad", "Mein Pfad", "Drei Schritte.")
    # Without after: the step before; with after: what is named.
    assert [(s.course, s.after) for s in spec.steps] == [
        ("eins", ()),
        ("zwei", ("eins",)),
        ("drei", ("eins",)),
    ]
    assert "<strong>Markdown</strong>" in spec.description_html


@pytest.mark.parametrize(("name", "text", "code"), PATH_CASES, ids=[c[2] for c in PATH_CASES])
def test_each_mistake_is_named_with_file_and_line(tmp_path, app, name, text, code):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        result = parse_path(write(tmp_path, name, text), KNOWN)
        (problem,) = [p for p in result.problems if p.code == code]
        assert problem.message() and problem.hint()
        assert problem.path == f"_paths/{name}"
    assert result.spec is None
    if code in ("path-unknown-course", "path-duplicate-course", "path-bad-prerequisite"):
        assert problem.line > 2  # the line of the step, not of steps:


# The first module of the path is also in English; the others only in German.
ENGLISH = {
    "course.en.md": "---\ntitle: Course one\nsummary: The first steps.\n---\nDescription.\n",
    "01-einstieg.en.md": "---\ntype: lesson\ntitle: Getting started\n---\nHello.\n",
}


@pytest.fixture
def three(app, db, tmp_path):
    """Modules "Kurs eins", "Kurs zwei", "Kurs drei" and the path GOOD over them."""
    with app.test_request_context():
        for slug in ("eins", "zwei", "drei"):
            folder = write_course(tmp_path, ENGLISH if slug == "eins" else {}, slug=slug)
            course_md = folder / "course.md"
            course_md.write_text(course_md.read_text().replace("Testkurs", f"Kurs {slug}"))
            import_course(db, folder, NOW - timedelta(days=9))
    write(tmp_path, "mein-pfad.md", GOOD)
    with app.test_request_context():
        outcome = import_paths(db, tmp_path, NOW)
    assert [status for _name, status, _p in outcome] == ["imported"]
    return {c.slug: c for c in db.scalars(select(Course))}


def test_import_keeps_an_unchanged_path_and_a_broken_one_keeps_the_old(app, db, tmp_path, three):
    with app.test_request_context():
        assert [s for _n, s, _p in import_paths(db, tmp_path, NOW)] == ["unchanged"]
        write(tmp_path, "mein-pfad.md", "---\ntitle: Kaputt\nsteps:\n  - vier\n---\n")
        assert [s for _n, s, _p in import_paths(db, tmp_path, NOW)] == ["failed"]
    assert db.scalar(select(LearningPath)).title == "Mein Pfad"


def test_where_a_learner_stands_and_what_stays_locked(db, world, three):
    person = world.a.employees[0]
    path = db.scalar(select(LearningPath))
    state = paths.path_state(db, person, path, "de")
    assert [s.status for s in state.steps] == [
        StepStatus.OPEN,
        StepStatus.LOCKED,
        StepStatus.LOCKED,
    ]
    assert state.steps[1].waits_for == (Prerequisite("eins", "Kurs eins", "de"),)
    # Not following the path: nothing is locked for the person.
    assert paths.waits_for(db, person, three["zwei"], "de") == ()
    paths.follow(db, person, path, NOW)
    assert paths.waits_for(db, person, three["zwei"], "de") == (
        Prerequisite("eins", "Kurs eins", "de"),
    )
    # In English, the module that has English texts is named by them.
    assert paths.waits_for(db, person, three["zwei"], "en") == (
        Prerequisite("eins", "Course one", "en"),
    )
    learning.enroll(db, person, three["eins"], NOW)
    assert paths.path_state(db, person, path, "de").steps[0].status is StepStatus.IN_PROGRESS
    complete(db, person, three["eins"], NOW)
    state = paths.path_state(db, person, path, "de")
    assert [s.status for s in state.steps] == [StepStatus.DONE, StepStatus.OPEN, StepStatus.OPEN]
    assert state.done == 1 and state.next_step.course.slug == "zwei"
    assert paths.waits_for(db, person, three["zwei"], "de") == ()


def test_a_path_is_offered_only_where_every_module_is_in_the_catalogue(db, world, three):
    assert [p.slug for p in paths.paths_for(db, world.a.company.id)] == ["mein-pfad"]
    three["drei"].shared = False  # no longer in any company's catalogue
    db.flush()
    assert paths.paths_for(db, world.a.company.id) == []


def test_a_confirmed_training_elsewhere_counts_as_a_done_step(db, world, three):
    from lms.models import ExternalRecord

    person = world.a.employees[0]
    path = db.scalar(select(LearningPath))
    paths.follow(db, person, path, NOW)
    record = ExternalRecord(company_id=person.company_id, user_id=person.id,
                            course_id=three["eins"].id, title="Extern", completed_at=NOW,
                            status="pending")  # fmt: skip
    db.add(record)
    db.flush()
    assert paths.path_state(db, person, path, "de").steps[0].status is not StepStatus.DONE
    record.status = "confirmed"
    db.flush()
    state = paths.path_state(db, person, path, "de")
    assert state.steps[0].status is StepStatus.DONE
    assert paths.waits_for(db, person, three["zwei"], "de") == ()


def test_a_module_already_started_is_in_progress_not_locked(db, world, three):
    """Someone enrolled before following the path (or enrolled by a trainer's attendance
    record) can go on with the module: the path says so and locks nothing."""
    person = world.a.employees[0]
    path = db.scalar(select(LearningPath))
    paths.follow(db, person, path, NOW)
    learning.enroll(db, person, three["drei"], NOW)
    state = paths.path_state(db, person, path, "de")
    assert [s.status for s in state.steps] == [
        StepStatus.OPEN,
        StepStatus.LOCKED,
        StepStatus.IN_PROGRESS,
    ]
    assert paths.waits_for(db, person, three["drei"], "de") == ()
    found = paths.learner_paths(db, person, "de")
    assert [s.path.slug for s in found.states] == ["mein-pfad"]
    assert found.locks == {three["zwei"].id: (Prerequisite("eins", "Kurs eins", "de"),)}


def test_a_modules_texts_say_which_language_they_are_in(db, three):
    eins, zwei = (learning.latest_version(db, three[slug]) for slug in ("eins", "zwei"))
    english = learning.course_texts(eins, "en")
    assert (english.title, english.language) == ("Course one", "en")
    assert (english.summary, english.summary_language) == ("The first steps.", "en")
    german = learning.course_texts(eins, "de")
    assert (german.title, german.language, german.summary_language) == ("Kurs eins", "de", "de")
    # Only in German: the German texts, marked as German.
    only = learning.course_texts(zwei, "en")
    assert (only.title, only.language, only.summary_language) == ("Kurs zwei", "de", "de")


def test_a_translation_without_a_summary_keeps_the_original_marked_as_such(app, db, tmp_path):
    files = {**ENGLISH, "course.en.md": "---\ntitle: Course one\n---\nDescription.\n"}
    with app.test_request_context():
        version = import_course(db, write_course(tmp_path, files), NOW).version
    texts = learning.course_texts(version, "en")
    assert (texts.title, texts.language) == ("Course one", "en")
    assert (texts.summary, texts.summary_language) == ("Ein Kurs für Tests", "de")
