"""cmi5: the launch, the fetch URL, LMS.LaunchData, the statement rules and moveOn.

The course is the small cmi5 package in tests/packages/cmi5 (a check with moveOn
CompletedAndPassed and a mastery score of 0.8, and a page with moveOn Completed),
imported as a package unit; the tests play the AU's part by sending its statements.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.models import Course, Enrollment, LearningRecord, UnitProgress, User
from lms.packages import cmi5, cmi5_statements, runtime
from lms.packages.cmi5 import StatementRejected
from lms.services import learning
from tests.unit.test_course_parser import write_course

PACKAGE_FOLDER = Path(__file__).resolve().parents[1] / "packages" / "cmi5"
CHECK = "https://lernwerk.example/tests/cmi5/brandschutz/check"
READ = "https://lernwerk.example/tests/cmi5/brandschutz/read"
UNIT = "brandschutz"
UNIT_FILE = (
    "---\ntype: package\ntitle: Brandschutz kompakt\nminutes: 10\n"
    "package: packages/brandschutz.zip\n---\nZwei kurze Teile.\n"
)
SECRET = "test-secret"


def cmi5_zip(replace: dict[str, str] | None = None) -> bytes:
    """The test course's folder as a package ZIP (cmi5.xml changed by `replace`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(PACKAGE_FOLDER.iterdir()):
            data = path.read_bytes()
            if path.name == "cmi5.xml":
                text = data.decode("utf-8")
                for old, new in (replace or {}).items():
                    text = text.replace(old, new)
                data = text.encode("utf-8")
            archive.writestr(path.name, data)
    return buffer.getvalue()


def import_cmi5_course(
    app: Any, db: Session, folder: Path, replace: dict[str, str] | None = None
) -> Course:
    course_folder = write_course(
        folder, {"02-brandschutz.md": UNIT_FILE, "packages/brandschutz.zip": cmi5_zip(replace)}
    )
    with app.test_request_context():
        import_course(db, course_folder, datetime.now(UTC))
    course = db.scalar(select(Course).where(Course.slug == "testkurs"))
    assert course is not None
    return course


@dataclass
class Played:
    """One launch of an AU, played by the test as the AU would."""

    db: Session
    launched: runtime.Launched
    au: cmi5.AuSession

    def statement(
        self, verb: str, result: dict[str, Any] | None = None, *, defined: bool = True
    ) -> dict[str, Any]:
        context = json.loads(json.dumps(cmi5.context_template(self.au)))
        context["registration"] = self.au.attempt.registration
        categories = [{"id": cmi5.CMI5_CATEGORY}] if defined else []
        if result and ("success" in result or "completion" in result):
            categories.append({"id": cmi5.MOVEON_CATEGORY})
        context["contextActivities"]["category"] = categories
        data: dict[str, Any] = {
            "actor": self.au.actor,
            "verb": {"id": cmi5.VERBS.get(verb, f"https://example.org/verbs/{verb}")},
            "object": {"id": self.au.activity_id, "objectType": "Activity"},
            "context": context,
        }
        if result is not None:
            data["result"] = result
        return data

    def send(self, verb: str, result: dict[str, Any] | None = None, **kwargs: Any) -> str:
        when = kwargs.pop("now", datetime.now(UTC))
        return cmi5_statements.receive(
            self.db, self.au, [self.statement(verb, result, **kwargs)], when
        )[0]

    def send_data(self, data: dict[str, Any]) -> str:
        return cmi5_statements.receive(self.db, self.au, [data], datetime.now(UTC))[0]

    def passed(self, score: float) -> str:
        return self.send("passed", {"success": True, "score": {"scaled": score}})

    def failed(self, score: float) -> str:
        return self.send("failed", {"success": False, "score": {"scaled": score}})

    def completed(self) -> str:
        return self.send("completed", {"completion": True})

    def terminated(self, duration: str = "PT1M30S") -> str:
        return self.send("terminated", {"duration": duration})


Launch = Callable[..., Played]


@pytest.fixture
def learner(world: Any) -> User:
    user: User = world.a.employees[0]
    return user


def enrol(db: Session, user: User, course: Course) -> Enrollment:
    enrollment = learning.enroll(db, user, course, datetime.now(UTC) - timedelta(minutes=5))
    db.flush()
    return enrollment


def launcher(db: Session, enrollment: Enrollment) -> Launch:
    def launch(item_id: str, now: datetime | None = None) -> Played:
        when = now or datetime.now(UTC)
        unit = learning.unit_of_type(enrollment, UNIT, "package")
        assert unit is not None
        user = db.get(User, enrollment.user_id)
        launched = runtime.launch(db, Actor(user), enrollment, unit, item_id, when)
        item = runtime.package_item(unit, item_id)
        assert item is not None
        cmi5.record_launched(db, launched.launch, launched.attempt, item, when)
        answer = cmi5.fetch_auth_token(db, launched.token, when, SECRET)
        assert "auth-token" in answer, answer
        found = cmi5.authenticated_launch(db, "Basic " + answer["auth-token"], when, SECRET)
        assert found is not None and found.id == launched.launch.id
        au = cmi5.au_session(db, found)
        assert au is not None
        return Played(db, launched, au)

    return launch


@pytest.fixture
def enrollment(app: Any, db: Session, learner: User, tmp_path: Path) -> Enrollment:
    return enrol(db, learner, import_cmi5_course(app, db, tmp_path))


@pytest.fixture
def launch(app: Any, db: Session, enrollment: Enrollment) -> Any:
    with app.test_request_context():
        yield launcher(db, enrollment)


def verbs(db: Session, user: User) -> list[str]:
    rows = db.scalars(
        select(LearningRecord)
        .where(LearningRecord.user_id == user.id, LearningRecord.statement.is_not(None))
        .order_by(LearningRecord.created_at)
    )
    return [row.verb for row in rows]


def unit_status(db: Session, enrollment: Enrollment) -> str | None:
    return db.scalar(
        select(UnitProgress.status).where(
            UnitProgress.enrollment_id == enrollment.id, UnitProgress.unit_id == UNIT
        )
    )


# --- The launch ------------------------------------------------------------------------


def test_the_launch_url_names_endpoint_fetch_actor_registration_and_activity(
    app: Any, db: Session, enrollment: Enrollment, learner: User
) -> None:
    with app.test_request_context():
        unit = learning.unit_of_type(enrollment, UNIT, "package")
        assert unit is not None
        launched = runtime.launch(db, Actor(learner), enrollment, unit, CHECK, datetime.now(UTC))
        item = runtime.package_item(unit, CHECK)
        assert item is not None
        url = cmi5.launch_url(
            launched.launch,
            launched.attempt,
            item,
            launched.token,
            "https://pakete.example/xapi/cmi5/",
            "https://pakete.example/package-files/tok/",
            base_url="https://lernen.example",
        )
    parts = urlsplit(url)
    assert parts.netloc == "pakete.example" and parts.path == "/package-files/tok/check.html"
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert query["part"] == "check"  # the AU's own parameters stay
    assert query["endpoint"] == "https://pakete.example/xapi/cmi5/"
    assert query["fetch"] == f"https://pakete.example/xapi/cmi5/fetch/{launched.token}"
    assert json.loads(query["actor"]) == {
        "objectType": "Agent",
        "account": {"homePage": "https://lernen.example", "name": str(learner.id)},
    }
    assert query["registration"] == launched.attempt.registration
    assert query["activityId"] == (
        "https://lernen.example/xapi/courses/testkurs/units/brandschutz/aus/"
        "https%3A%2F%2Flernwerk.example%2Ftests%2Fcmi5%2Fbrandschutz%2Fcheck"
    )
    assert str(learner.email) not in url and learner.display_name not in url


def test_the_fetch_url_gives_the_token_once(
    app: Any, db: Session, enrollment: Enrollment, learner: User
) -> None:
    now = datetime.now(UTC)
    with app.test_request_context():
        unit = learning.unit_of_type(enrollment, UNIT, "package")
        assert unit is not None
        launched = runtime.launch(db, Actor(learner), enrollment, unit, CHECK, now)
        first = cmi5.fetch_auth_token(db, launched.token, now, SECRET)
        second = cmi5.fetch_auth_token(db, launched.token, now, SECRET)
        unknown = cmi5.fetch_auth_token(db, "not-a-launch", now, SECRET)
    assert set(first) == {"auth-token"}
    assert second["error-code"] == "1" and "already" in second["error-text"]
    assert unknown["error-code"] == "2"
    header = "Basic " + first["auth-token"]
    assert cmi5.authenticated_launch(db, header, now, SECRET) == launched.launch
    assert cmi5.authenticated_launch(db, header, now, "another-secret") is None
    assert cmi5.authenticated_launch(db, header, now + timedelta(hours=13), SECRET) is None
    # The fetch wrote "launched", with the launch's session, mode and moveOn.
    launched_row = db.scalar(select(LearningRecord).where(LearningRecord.verb == "launched"))
    assert launched_row is not None and launched_row.statement is not None
    extensions = launched_row.statement["context"]["extensions"]
    assert extensions[cmi5.SESSION_ID] == launched.launch.session_id
    assert extensions[cmi5.LAUNCH_MODE] == "Normal"
    assert extensions[cmi5.MOVE_ON] == "CompletedAndPassed"
    assert extensions[cmi5.MASTERY_SCORE] == 0.8


def test_an_expired_launch_gets_no_token(
    app: Any, db: Session, enrollment: Enrollment, learner: User
) -> None:
    now = datetime.now(UTC)
    with app.test_request_context():
        unit = learning.unit_of_type(enrollment, UNIT, "package")
        assert unit is not None
        launched = runtime.launch(db, Actor(learner), enrollment, unit, CHECK, now)
        answer = cmi5.fetch_auth_token(db, launched.token, now + timedelta(hours=13), SECRET)
    assert answer["error-code"] in ("1", "2") and "auth-token" not in answer


def test_launch_data_carries_the_context_template_and_the_au_s_rules(launch: Launch) -> None:
    played = launch(CHECK)
    data = cmi5.launch_data(played.au)
    assert data["contextTemplate"]["extensions"] == {
        cmi5.SESSION_ID: played.launched.launch.session_id
    }
    assert data["contextTemplate"]["contextActivities"]["grouping"][0]["id"] == CHECK
    assert data["launchMode"] == "Normal" and data["moveOn"] == "CompletedAndPassed"
    assert data["masteryScore"] == 0.8 and data["launchParameters"] == '{"questions":3}'
    assert data["returnURL"].endswith("/package-files/return")  # the return page


# --- Passing, completing, moveOn --------------------------------------------------------


def test_passing_and_completing_both_aus_completes_the_unit(
    launch: Launch, db: Session, enrollment: Enrollment, learner: User
) -> None:
    check = launch(CHECK, now=datetime.now(UTC) - timedelta(minutes=5))
    check.send("initialized")
    check.passed(0.9)
    check.completed()
    check.terminated("PT2M5.5S")
    attempt = check.au.attempt
    assert (attempt.completion, attempt.success) == ("completed", "passed")
    assert float(attempt.score_scaled or 0) == 0.9 and attempt.total_seconds == 125
    assert attempt.satisfied_at is not None and attempt.ended_at is not None
    assert check.launched.launch.terminated_at is not None
    assert unit_status(db, enrollment) is None  # the page is still to be read

    read = launch(READ)
    read.send("initialized")
    read.completed()
    assert unit_status(db, enrollment) == "done"
    read.terminated()
    assert verbs(db, learner) == [
        *("launched", "initialized", "passed", "completed", "terminated"),
        *("launched", "initialized", "completed", "satisfied", "terminated"),
    ]
    satisfied = db.scalar(select(LearningRecord).where(LearningRecord.verb == "satisfied"))
    assert satisfied is not None and satisfied.statement is not None
    assert satisfied.statement["object"]["definition"]["type"] == cmi5.COURSE_TYPE
    assert satisfied.statement["object"]["id"].endswith("/xapi/courses/testkurs/units/brandschutz")


def test_a_failed_check_leaves_the_unit_open_and_the_registration_goes_on(
    launch: Launch, db: Session, enrollment: Enrollment
) -> None:
    read = launch(READ)
    read.send("initialized")
    read.completed()
    read.terminated()
    check = launch(CHECK)
    check.send("initialized")
    check.failed(0.5)
    check.completed()
    check.terminated()
    assert check.au.attempt.satisfied_at is None and check.au.attempt.ended_at is None
    assert unit_status(db, enrollment) is None

    again = launch(CHECK)  # the same attempt and registration: completed already
    assert again.au.attempt.id == check.au.attempt.id
    again.send("initialized")
    with pytest.raises(StatementRejected) as completed_twice:
        again.completed()
    assert completed_twice.value.status == 403
    again.passed(0.85)
    assert unit_status(db, enrollment) == "done"


# --- The rules a statement must keep ---------------------------------------------------


def rejected(call: Callable[[], Any]) -> int:
    with pytest.raises(StatementRejected) as raised:
        call()
    return raised.value.status


def test_a_session_starts_with_initialized_and_ends_with_terminated(launch: Launch) -> None:
    check = launch(CHECK)
    assert rejected(check.completed) == 403
    assert rejected(lambda: check.send("experienced", defined=False)) == 403
    assert rejected(lambda: check.send("initialized", {"completion": True})) == 403
    check.send("initialized")
    assert rejected(lambda: check.send("initialized")) == 403
    check.send("experienced", defined=False)  # "cmi5 allowed" in between
    check.terminated()
    assert rejected(check.completed) == 403
    assert rejected(lambda: check.send("experienced", defined=False)) == 403


def test_passed_and_failed_must_agree_with_the_mastery_score(launch: Launch) -> None:
    check = launch(CHECK)
    check.send("initialized")
    assert rejected(lambda: check.passed(0.79)) == 403
    assert rejected(lambda: check.failed(0.8)) == 403
    check.failed(0.6)
    # One of passed or failed per session.
    assert rejected(lambda: check.passed(0.9)) == 403
    check.terminated()
    later = launch(CHECK)
    later.send("initialized")
    later.passed(0.9)
    assert rejected(lambda: later.failed(0.1)) == 403  # not failed after passed
    later.terminated()
    assert later.au.attempt.success == "passed"


def test_statements_of_another_learner_registration_or_session_are_refused(
    launch: Launch,
) -> None:
    check = launch(CHECK)
    check.send("initialized")
    other = check.statement("completed", {"completion": True})
    other["actor"] = cmi5.actor(check.au.attempt.user_id + 1000, check.au.base)
    assert rejected(lambda: check.send_data(other)) == 403
    wrong = check.statement("completed", {"completion": True})
    wrong["context"]["registration"] = "00000000-0000-4000-8000-000000000000"
    assert rejected(lambda: check.send_data(wrong)) == 403
    stale = check.statement("completed", {"completion": True})
    stale["context"]["extensions"][cmi5.SESSION_ID] = "another-session"
    assert rejected(lambda: check.send_data(stale)) == 403
    elsewhere = check.statement("completed", {"completion": True})
    elsewhere["object"]["id"] = CHECK  # the publisher's id, not the launch's activity id
    assert rejected(lambda: check.send_data(elsewhere)) == 403
    assert rejected(lambda: check.send("satisfied")) == 403  # only the LMS says so
    voiding = check.statement("voided")
    voiding["verb"]["id"] = cmi5_statements.VOIDED
    assert rejected(lambda: check.send_data(voiding)) == 403
    assert check.au.attempt.completion == "incomplete"


def test_a_statement_sent_again_is_kept_once_and_another_with_its_id_conflicts(
    launch: Launch, db: Session, learner: User
) -> None:
    check = launch(CHECK)
    first = check.statement("initialized")
    first["id"] = "5c4b0b3e-4c38-4a3a-9c3e-1f0a7b0e2d11"
    check.send_data(dict(first))
    check.send_data(dict(first))
    assert verbs(db, learner).count("initialized") == 1
    different = check.statement("experienced", defined=False)
    different["id"] = first["id"]
    assert rejected(lambda: check.send_data(different)) == 409


# --- Sessions the LMS ends, AUs it waives ----------------------------------------------


def test_a_new_launch_abandons_the_session_that_never_terminated(
    launch: Launch, db: Session, learner: User
) -> None:
    start = datetime.now(UTC)
    first = launch(CHECK, now=start)
    first.send("initialized", now=start + timedelta(seconds=40))
    second = launch(CHECK, now=start + timedelta(minutes=5))
    assert first.launched.launch.abandoned_at is not None
    assert second.launched.launch.abandoned_at is None
    abandoned = db.scalar(select(LearningRecord).where(LearningRecord.verb == "abandoned"))
    assert abandoned is not None and abandoned.statement is not None
    assert abandoned.statement["result"]["duration"] == "PT0H0M40S"
    assert (
        abandoned.statement["context"]["extensions"][cmi5.SESSION_ID]
        == first.launched.launch.session_id
    )
    assert rejected(first.completed) == 403
    second.send("initialized")
    second.completed()


def test_an_au_that_is_not_applicable_is_waived_at_the_first_launch(
    app: Any, db: Session, learner: User, tmp_path: Path
) -> None:
    course = import_cmi5_course(app, db, tmp_path, {'moveOn="Completed"': 'moveOn="NotApplicable"'})
    enrollment = enrol(db, learner, course)
    with app.test_request_context():
        check = launcher(db, enrollment)(CHECK)
    waived = db.scalar(select(LearningRecord).where(LearningRecord.verb == "waived"))
    assert waived is not None and waived.statement is not None
    assert waived.statement["result"]["extensions"][cmi5.REASON] == "Administrative"
    assert waived.statement["object"]["id"].endswith("%2Fread")
    check.send("initialized")
    check.passed(0.95)
    assert unit_status(db, enrollment) is None  # CompletedAndPassed: not yet completed
    check.completed()
    assert unit_status(db, enrollment) in ("done", "passed")


# --- Durations -------------------------------------------------------------------------


def test_a_session_counts_at_most_as_long_as_it_was_open(launch: Launch) -> None:
    # An AU reporting ten years for a session opened three minutes ago gets three minutes
    # (and the minute allowed for clocks), so the proof of instruction stays true.
    check = launch(CHECK, now=datetime.now(UTC) - timedelta(minutes=3))
    check.send("initialized")
    check.terminated("P3650D")
    assert 3 * 60 <= check.au.attempt.total_seconds <= 4 * 60 + 5


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT1H2M3.5S", 3723), ("P1DT1S", 86401), ("PT90S", 90), ("", 0), ("soon", 0), (None, 0)],
)
def test_durations_are_read_as_whole_seconds(text: Any, seconds: int) -> None:
    assert cmi5.parse_duration(text) == seconds


def test_scores_beyond_what_the_attempt_keeps_are_left_out_or_refused(
    launch: Launch, db: Session
) -> None:
    from decimal import Decimal

    check = launch(CHECK)
    check.send("initialized")
    # score_raw is NUMERIC(12, 4): a larger raw score is left out (PostgreSQL would fail).
    check.send("failed", {"success": False, "score": {"scaled": 0.5, "raw": 1e20}})
    db.flush()
    assert (check.au.attempt.success, check.au.attempt.score_raw) == ("failed", None)
    check.terminated()
    later = launch(CHECK)
    later.send("initialized")
    for odd in (float("nan"), float("inf")):  # Python's JSON reads NaN and Infinity
        failing = {"success": True, "score": {"scaled": odd}}
        assert rejected(lambda failing=failing: later.send("passed", failing)) == 400
    later.send("passed", {"success": True, "score": {"scaled": 0.9, "raw": 90.5}})
    db.flush()
    assert later.au.attempt.score_raw == Decimal("90.5")


def test_a_session_keeps_a_bounded_number_of_statements(
    launch: Launch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A runaway AU cannot fill the database: past the session's limit its own
    # statements are refused, and it can still terminate.
    monkeypatch.setattr(cmi5_statements, "MAX_SESSION_STATEMENTS", 4)
    check = launch(CHECK)
    check.send("initialized")  # with "launched": two records in this session
    check.send("experienced", defined=False)
    check.send("experienced", defined=False)
    with pytest.raises(StatementRejected) as raised:
        check.send("experienced", defined=False)
    assert raised.value.status == 403
    check.terminated("PT5S")
    assert check.launched.launch.terminated_at is not None
