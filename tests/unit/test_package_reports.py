"""What the reports make of package units (SCORM, cmi5): the learner's result, the proof's
package, the data export, erasure, a deleted company, the trainer's interaction figures.

The course is imported with a lesson in place of the package unit, which `package_course`
then turns into one (the version's spec and rendered units as the package import writes
them, see lms/content/spec.py `PackageSpec`), so these tests need no package ZIP.
Attempts and interactions are written as the runtime writes them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.models import (
    Completion,
    Course,
    CourseVersion,
    Enrollment,
    LearningRecord,
    PackageAttempt,
    PackageInteraction,
    PackageLaunch,
    User,
    XapiState,
)
from lms.packages import reporting
from lms.packages.reporting import PackageState, interaction_statistics, readable_response
from lms.services import companies, learning
from lms.services.erasure import erase_person
from lms.services.personal_data import export_personal_data
from tests.factories import make_company, make_user
from tests.unit.test_course_parser import write_course
from tests.unit.test_erasure import dump

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
UNIT = "brandschutz"
ZIP = "packages/brandschutz.zip"
PACKAGE_UNIT = """\
---
type: lesson
title: Brandschutz – Grundlagen
minutes: 20
---
Ein gekauftes Lernpaket.
"""


def package_spec(**changes: Any) -> dict[str, Any]:
    """A package as the version's content holds it (`_plain(PackageSpec)`)."""
    spec: dict[str, Any] = {
        "standard": "scorm2004",
        "file": ZIP,
        "sha256": "ab" * 32,
        "identifier": "DE.VERLAG.BS-GRUND",
        "version": "1.2",
        "title": "Brandschutz im Betrieb (Verlagsausgabe)",
        "files": 12,
        "size": 34567,
        "items": [
            {
                "id": "sco-1",
                "title": "Brandschutz",
                "href": "index.html",
                "parameters": "",
                "passing_score": "0.8",
                "completion_threshold": None,
                "launch_data": "",
                "move_on": "Passed",
                "launch_method": "AnyWindow",
                "line": 14,
            }
        ],
    }
    spec.update(changes)
    return spec


def make_package_unit(version: CourseVersion, unit_id: str, package: dict[str, Any]) -> None:
    """Turn the version's unit `unit_id` into a package unit, in its spec and its
    rendered units, as the package import writes them; a new content hash, so nothing
    read before is taken from the cache."""
    for column in ("spec", "rendered"):
        data = copy.deepcopy(getattr(version, column))
        for units in data["units"].values():
            for unit in units:
                if unit["id"] == unit_id:
                    unit["type"] = "package"
                    unit["package"] = package
                    if column == "rendered":
                        unit["html"] = "<p>Ein gekauftes Lernpaket.</p>"
        setattr(version, column, data)
    version.content_hash = hashlib.sha256(f"{version.id}-{unit_id}".encode()).hexdigest()
    version.__dict__.pop("_content", None)


@pytest.fixture
def package_course(app, db, tmp_path) -> CourseVersion:
    """A module of a lesson (einstieg) and a package unit (brandschutz), shared."""
    folder = write_course(tmp_path, {"02-brandschutz.md": PACKAGE_UNIT}, slug="paketkurs")
    with app.test_request_context():
        version = import_course(db, folder, NOW - timedelta(days=30)).version
    make_package_unit(version, UNIT, package_spec())
    db.flush()
    return version


@dataclass
class Played:
    enrollment: Enrollment
    attempts: list[PackageAttempt]


def add_attempt(
    db,
    enrollment: Enrollment,
    *,
    number: int = 1,
    completion: str = "completed",
    success: str = "passed",
    score: str | None = "0.85",
    seconds: int = 600,
    started_at: datetime = NOW,
    interactions: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
    item_id: str = "sco-1",
    package: str = ZIP,
    unit_id: str = UNIT,
    suspend_data: str = "",
) -> PackageAttempt:
    """One attempt with its interactions (id, result, response), as the runtime keeps it."""
    satisfied = success == "passed" or (success != "failed" and completion == "completed")
    attempt = PackageAttempt(
        company_id=enrollment.company_id,
        user_id=enrollment.user_id,
        enrollment_id=enrollment.id,
        version_id=enrollment.version_id,
        unit_id=unit_id,
        package=package,
        item_id=item_id,
        standard="scorm2004",
        number=number,
        completion=completion,
        success=success,
        score_scaled=Decimal(score) if score is not None else None,
        score_raw=Decimal(score) * 100 if score is not None else None,
        total_seconds=seconds,
        location="seite-7",
        suspend_data=suspend_data,
        cmi={"cmi": {"learner_name": "placeholder", "suspend_data": suspend_data}},
        started_at=started_at,
        updated_at=started_at + timedelta(seconds=seconds),
        satisfied_at=started_at + timedelta(seconds=seconds) if satisfied else None,
    )
    db.add(attempt)
    db.flush()
    for position, (interaction_id, result, response) in enumerate(interactions):
        db.add(
            PackageInteraction(
                company_id=enrollment.company_id,
                attempt_id=attempt.id,
                version_id=enrollment.version_id,
                unit_id=unit_id,
                position=position,
                interaction_id=interaction_id,
                kind="choice",
                result=result,
                response=response,
                description=f"Frage {interaction_id}",
                recorded_at=started_at,
            )
        )
    db.flush()
    return attempt


def complete_with_package(db, person: User, version: CourseVersion, **attempt: Any) -> Played:
    """The learner reads the lesson, fails the package once and passes it: the runtime
    records the package unit (`learning.record_package_done`), which completes the module."""
    course = db.get(Course, version.course_id)
    enrollment = learning.enroll(db, person, course, NOW - timedelta(days=1))
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW - timedelta(hours=3))
    first = add_attempt(
        db, enrollment, success="failed", score="0.5", seconds=300,
        started_at=NOW - timedelta(hours=2),
    )  # fmt: skip
    second = add_attempt(db, enrollment, number=2, started_at=NOW - timedelta(hours=1), **attempt)
    learning.record_package_done(db, enrollment, UNIT, True, NOW)
    return Played(enrollment, [first, second])


# --- The learner's result ---------------------------------------------------------------


def test_a_completion_carries_the_package_its_state_best_score_time_and_attempts(
    app, db, package_course
):
    company = make_company(db)
    person = make_user(db, company)
    played = complete_with_package(db, person, package_course)
    assert played.enrollment.completed_at == NOW
    (done,) = db.scalars(select(Completion).where(Completion.user_id == person.id))
    with app.app_context():
        found = reporting.results_of_completions(db, [done], "de", with_results=True)
        hidden = reporting.results_of_completions(db, [done], "de", with_results=False)
    (result,) = found[done.id]
    assert result.package.identifier == "DE.VERLAG.BS-GRUND"
    assert result.package.version == "1.2" and result.package.standard_name == "SCORM 2004"
    assert result.package.unit_title == "Brandschutz – Grundlagen"
    assert result.state is PackageState.PASSED
    assert result.percent == Decimal("85.00") and result.seconds == 900 and result.attempts == 2
    # Without results: the state only; score, time and attempts are not even read.
    (status_only,) = hidden[done.id]
    assert status_only.state is PackageState.PASSED
    assert (status_only.score, status_only.seconds, status_only.attempts) == (None, None, None)


def test_each_completion_counts_the_attempts_since_the_one_before(app, db, package_course):
    """A renewal: the second completion counts only the attempts of its round."""
    company = make_company(db)
    person = make_user(db, company)
    played = complete_with_package(db, person, package_course)
    later = NOW + timedelta(days=200)
    learning.start_new_round(db, played.enrollment, later - timedelta(days=1))
    learning.mark_lesson_done(db, played.enrollment, "einstieg", later)
    add_attempt(db, played.enrollment, number=3, score="0.95", seconds=120, started_at=later)
    learning.record_package_done(db, played.enrollment, UNIT, True, later + timedelta(minutes=5))
    first, second = db.scalars(
        select(Completion).where(Completion.user_id == person.id).order_by(Completion.id)
    )
    with app.app_context():
        found = reporting.results_of_completions(db, [first, second], "de", with_results=True)
    assert (found[first.id][0].attempts, found[first.id][0].seconds) == (2, 900)
    assert (found[second.id][0].attempts, found[second.id][0].seconds) == (1, 120)
    assert found[second.id][0].percent == Decimal("95.00")


@pytest.mark.parametrize(
    ("attempts", "state"),
    [
        ([("completed", "passed")], PackageState.PASSED),
        ([("completed", "unknown")], PackageState.COMPLETED),
        ([("completed", "failed")], PackageState.FAILED),
        ([("incomplete", "unknown")], PackageState.INCOMPLETE),
        ([("completed", "failed"), ("completed", "passed")], PackageState.PASSED),
    ],
)
def test_the_state_in_words_follows_the_attempts(app, db, package_course, attempts, state):
    company = make_company(db)
    person = make_user(db, company)
    course = db.get(Course, package_course.course_id)
    enrollment = learning.enroll(db, person, course, NOW)
    for number, (completion, success) in enumerate(attempts, start=1):
        add_attempt(db, enrollment, number=number, completion=completion, success=success)
    with app.app_context():
        (result,) = reporting.results_of_person(db, person.id, company.id, "de")
    assert result.state is state and result.attempts == len(attempts)


def test_an_english_edition_names_its_own_package(app, db, tmp_path):
    folder = write_course(
        tmp_path,
        {"02-brandschutz.md": PACKAGE_UNIT, "02-brandschutz.en.md": PACKAGE_UNIT},
        slug="paketkurs-en",
    )
    with app.test_request_context():
        version = import_course(db, folder, NOW).version
    english = package_spec(file="packages/fire-safety.zip", identifier="EN.PUB.FIRE")
    make_package_unit(version, UNIT, package_spec())
    spec, rendered = copy.deepcopy(version.spec), copy.deepcopy(version.rendered)
    for data in (spec, rendered):
        next(u for u in data["units"]["en"] if u["id"] == UNIT)["package"] = english
    version.spec, version.rendered = spec, rendered
    version.__dict__.pop("_content", None)
    db.flush()
    with app.app_context():
        played = reporting.identity(version, UNIT, "de", "packages/fire-safety.zip")
        german = reporting.identity(version, UNIT, "en", ZIP)
        assert reporting.identity(version, "einstieg", "de") is None
    assert played is not None and played.identifier == "EN.PUB.FIRE"
    assert german is not None and german.identifier == "DE.VERLAG.BS-GRUND"


# --- The data export, erasure, a deleted company -----------------------------------------


def add_state(db, person: User, content: bytes = b'{"bookmark": "seite-7"}') -> XapiState:
    state = XapiState(
        company_id=person.company_id,
        user_id=person.id,
        registration="3f1e9a0c-0000-4000-8000-000000000001",
        activity_id="https://verlag.example/au/1",
        state_id="bookmark",
        content_type="application/json",
        content=content,
        updated_at=NOW,
    )
    db.add(state)
    db.flush()
    return state


def test_the_export_holds_the_persons_attempts_interactions_and_states_only(
    app, db, package_course
):
    company = make_company(db)
    person, other = make_user(db, company), make_user(db, company)
    played = complete_with_package(
        db, person, package_course, suspend_data="meine-notizen",
        interactions=[("frage-1", "incorrect", "b[,]c"), ("frage-2", "correct", "a")],
    )  # fmt: skip
    complete_with_package(
        db, other, package_course, suspend_data="fremde-notizen",
        interactions=[("frage-1", "incorrect", "fremde-antwort")],
    )  # fmt: skip
    add_state(db, person)
    add_state(db, other, b"fremder-zustand")
    with app.app_context():
        data = export_personal_data(db, person)
    text = json.dumps(data, ensure_ascii=False)
    assert "fremde" not in text
    attempts = data["package_attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2]
    second = attempts[1]
    assert second["course"] == "paketkurs" and second["unit"] == UNIT
    assert second["item"] == "sco-1" and second["package"] == ZIP
    assert second["identifier"] == "DE.VERLAG.BS-GRUND" and second["standard"] == "scorm2004"
    assert second["completion"] == "completed" and second["success"] == "passed"
    assert second["score"] == "0.8500" or second["score"] == "0.85"
    assert second["seconds"] == 600 and second["location"] == "seite-7"
    assert second["suspend_data"] == "meine-notizen"
    assert second["started_at"] == played.attempts[1].started_at.isoformat()
    assert [(i["id"], i["result"], i["response"]) for i in second["interactions"]] == [
        ("frage-1", "incorrect", "b[,]c"),
        ("frage-2", "correct", "a"),
    ]
    (state,) = data["xapi_states"]
    assert state["state"] == "bookmark" and state["content"] == '{"bookmark": "seite-7"}'


def test_erasure_drops_what_the_person_left_in_a_package_and_keeps_the_grades(
    app, db, package_course
):
    company = make_company(db)
    person = make_user(db, company, name="Jörg Paketmann", email="joerg.paket@example.com")
    played = complete_with_package(
        db, person, package_course, suspend_data="Notiz von Jörg Paketmann",
        interactions=[("frage-1", "incorrect", "meine freie Antwort")],
    )  # fmt: skip
    played.attempts[1].cmi = {"cmi": {"learner_name": "Paketmann, Jörg", "location": "seite-7"}}
    add_state(db, person, b'{"notiz": "meine freie Antwort"}')
    db.add(
        LearningRecord(
            id="0c1d2e3f-0000-4000-8000-000000000001", company_id=company.id,
            user_id=person.id, verb="answered", course="paketkurs", version=1, unit=UNIT,
            statement={"actor": {"name": "Jörg Paketmann"},
                       "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
                       "result": {"response": "meine freie Antwort", "success": False}},
        )
    )  # fmt: skip
    db.flush()
    with app.app_context():
        erase_person(db, person, NOW)
    db.expire_all()
    attempt = db.get(PackageAttempt, played.attempts[1].id)
    assert attempt is not None
    assert (attempt.suspend_data, attempt.location, attempt.cmi) == ("", "", {})
    # The grades stay, as a knowledge check's do.
    assert (attempt.completion, attempt.success) == ("completed", "passed")
    assert attempt.score_scaled == Decimal("0.85") and attempt.total_seconds == 600
    (interaction,) = db.scalars(select(PackageInteraction).where(
        PackageInteraction.attempt_id == attempt.id))  # fmt: skip
    assert (interaction.response, interaction.result) == ("", "incorrect")
    assert db.scalar(select(func.count()).select_from(XapiState)) == 0
    record = db.get(LearningRecord, "0c1d2e3f-0000-4000-8000-000000000001")
    assert record is not None and record.statement is not None
    assert record.statement["result"] == {"success": False}
    # No table keeps the name, the runtime data's "surname, name" or the typed answer.
    everything = dump(db)
    for trace in ("Paketmann", "joerg.paket@example.com", "meine freie Antwort", "seite-7"):
        assert trace not in everything, trace


def test_a_deleted_company_takes_its_package_data_along(app, db, package_course):
    gone, stays = make_company(db), make_company(db)
    leaving, staying = make_user(db, gone), make_user(db, stays)
    for person in (leaving, staying):
        played = complete_with_package(
            db, person, package_course, interactions=[("frage-1", "incorrect", "x")]
        )
        db.add(
            PackageLaunch(
                company_id=person.company_id, attempt_id=played.attempts[1].id, number=1,
                token_digest=hashlib.sha256(str(person.id).encode()).hexdigest(),
                session_id="5b1e9a0c-0000-4000-8000-00000000000" + str(person.id % 10),
                launched_at=NOW, expires_at=NOW + timedelta(hours=12),
            )
        )  # fmt: skip
        add_state(db, person)
    db.flush()
    with app.app_context():
        companies.delete_company(db, Actor(None), gone, NOW)
    db.flush()
    for model in (PackageAttempt, PackageInteraction, PackageLaunch, XapiState):
        left = db.scalars(select(model.company_id)).all()  # type: ignore[attr-defined]
        assert set(left) == {stays.id}, model.__name__
    with app.app_context():
        statistics = interaction_statistics(db, package_course.id, UNIT)
    assert statistics.attempts == 2 and statistics.items[0].answers == 1


# --- The trainer's interaction figures ---------------------------------------------------


def six_learners(db, version: CourseVersion) -> list[Enrollment]:
    company = make_company(db)
    course = db.get(Course, version.course_id)
    return [
        learning.enroll(db, make_user(db, company, name="Zacharias Unverwechselbar"), course, NOW)
        for _ in range(6)
    ]


def test_interaction_figures_per_id_with_the_most_frequent_wrong_responses(app, db, package_course):
    enrollments = six_learners(db, package_course)
    answers = [
        # (frage-1, frage-2): frage-2 is answered only four times, too few for figures.
        [("frage-1", "correct", "a"), ("frage-2", "wrong", "x")],
        [("frage-1", "incorrect", "b[,]c"), ("frage-2", "correct", "y")],
        [("frage-1", "incorrect", "b[,]c"), ("frage-2", "wrong", "x")],
        [("frage-1", "incorrect", "d"), ("frage-2", "wrong", "x")],
        [("frage-1", "unanticipated", "{lang=de}Feuer"), ("frage-1", "correct", "a")],
        [("frage-1", "neutral", "e")],
    ]
    for enrollment, interactions in zip(enrollments, answers, strict=True):
        add_attempt(db, enrollment, interactions=interactions)
    with app.app_context():
        statistics = interaction_statistics(db, package_course.id, UNIT)
    assert statistics.attempts == 6
    first, second = statistics.items
    assert (first.interaction_id, first.answers, first.judged) == ("frage-1", 7, 6)
    assert first.description == "Frage frage-1" and not first.too_few
    assert first.share_correct == pytest.approx(2 / 6)
    top, *tied = [(w.text, w.count) for w in first.wrong_responses]
    assert top == ("b; c", 2) and sorted(tied) == [("Feuer", 1), ("d", 1)]
    assert (second.interaction_id, second.answers, second.too_few) == ("frage-2", 4, True)
    assert second.share_correct is None and second.wrong_responses == ()


def test_an_erased_persons_responses_count_on_without_their_text(app, db, package_course):
    enrollments = six_learners(db, package_course)
    for enrollment in enrollments:
        add_attempt(db, enrollment, interactions=[("frage-1", "incorrect", "geheim")])
    with app.app_context():
        erase_person(db, db.get(User, enrollments[0].user_id), NOW)
        statistics = interaction_statistics(db, package_course.id, UNIT)
    (item,) = statistics.items
    assert item.answers == 6 and item.share_correct == 0
    assert [(w.text, w.count) for w in item.wrong_responses] == [("geheim", 5)]


def test_the_figures_take_three_queries_however_many_answers(
    app, db, package_course, count_queries
):
    enrollments = six_learners(db, package_course)
    for enrollment in enrollments:
        add_attempt(
            db, enrollment,
            interactions=[(f"frage-{n}", "incorrect", f"antwort-{n % 4}") for n in range(20)],
        )  # fmt: skip
    before = count_queries.count
    with app.app_context():
        statistics = interaction_statistics(db, package_course.id, UNIT)
    assert count_queries.count - before == 3
    assert len(statistics.items) == 20 and all(
        len(i.wrong_responses) == 1 for i in statistics.items
    )


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("a[,]b[,]c", "a; b; c"),
        ("1[.]a[,]2[.]b", "1 → a; 2 → b"),
        ("{case_matters=true}{lang=de}Feuerlöscher", "Feuerlöscher"),
        ("a,b", "a,b"),
    ],
)
def test_responses_read_as_a_trainer_reads_them(stored, shown):
    assert readable_response(stored) == shown
