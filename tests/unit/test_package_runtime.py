"""Playing a package unit: launches, attempts, commits and what they complete."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lms.audit.service import Actor
from lms.models import (
    Completion,
    LearningRecord,
    PackageAttempt,
    PackageInteraction,
    PackageLaunch,
    UnitProgress,
)
from lms.packages import runtime
from lms.services import learning
from tests.factories import make_user, package_course, package_item

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


def enrolled(db, user, version, at=NOW):
    return learning.enroll(db, user, version.course, at - timedelta(days=1))


def package_unit(enrollment):
    return learning.unit_of_type(enrollment, "brandschutz", "package")


def start(db, enrollment, item_id="sco1", at=NOW):
    return runtime.launch(db, Actor(None), enrollment, package_unit(enrollment), item_id, at)


def body12(
    status="incomplete",
    *,
    location="",
    suspend="",
    raw="",
    session="00:00:00",
    exit="",
    interactions=(),
):
    return {
        "cmi": {
            "suspend_data": suspend,
            "launch_data": "",
            "core": {
                "student_id": "forged",
                "lesson_location": location,
                "credit": "no-credit",  # read-only: the server ignores it
                "lesson_status": status,
                "exit": exit,
                "session_time": session,
                "score": {"raw": raw, "min": "", "max": "100"},
            },
            "student_data": {"mastery_score": "0"},  # read-only: ignored too
            "interactions": {
                str(n): {"id": i[0], "type": "choice", "student_response": i[1], "result": i[2]}
                for n, i in enumerate(interactions)
            },
        }
    }


def body2004(
    completion="incomplete",
    success="unknown",
    *,
    scaled="",
    progress="",
    session="PT0S",
    exit="",
    location="",
    suspend="",
    interactions=(),
):
    return {
        "cmi": {
            "completion_status": completion,
            "success_status": success,
            "progress_measure": progress,
            "scaled_passing_score": "0",  # read-only: the manifest's counts
            "location": location,
            "suspend_data": suspend,
            "exit": exit,
            "session_time": session,
            "score": {"scaled": scaled, "raw": "", "min": "", "max": ""},
            "interactions": {
                str(n): {
                    "id": i[0],
                    "type": "choice",
                    "learner_response": i[1],
                    "result": i[2],
                    "description": f"Frage {i[0]}",
                }
                for n, i in enumerate(interactions)
            },
        }
    }


def commit(db, launched, data, sequence, *, terminate=False, at=NOW + 5 * MINUTE):
    return runtime.commit(db, launched.launch, data, sequence, terminate, at)


@pytest.fixture
def learner(db, world):
    return make_user(db, world.a.company, name="Erika Muster")


@pytest.fixture
def scorm12(db, learner):
    version = package_course(db, items=[package_item(passing_score=Decimal("0.8"))])
    return enrolled(db, learner, version)


def progress_rows(db, enrollment):
    return db.execute(
        select(UnitProgress.unit_id, UnitProgress.status).where(
            UnitProgress.enrollment_id == enrollment.id
        )
    ).all()


# --- Launching ------------------------------------------------------------------------


def test_a_first_launch_starts_an_attempt_with_a_secret_kept_only_as_its_digest(
    db, scorm12, learner
):
    launched = start(db, scorm12)
    attempt, launch = launched.attempt, launched.launch
    assert not launched.resumed
    assert (attempt.number, attempt.launch_number, launch.number) == (1, 1, 1)
    assert attempt.version_id == scorm12.version_id and attempt.standard == "scorm12"
    assert attempt.company_id == launch.company_id == learner.company_id
    assert attempt.package == "packages/brandschutz.zip" and attempt.registration is None
    assert launched.token not in launch.token_digest and len(launch.token_digest) == 64
    assert launch.expires_at == NOW + timedelta(hours=12) and len(launch.session_id) == 36
    assert runtime.launch_by_token(db, launched.token, NOW + MINUTE) is launch
    assert runtime.launch_by_token(db, launched.token, NOW + timedelta(hours=12)) is None
    assert runtime.launch_by_token(db, launched.token + "x", NOW) is None
    assert runtime.launch_by_token(db, "", NOW) is None


def test_a_new_attempt_gets_empty_data_and_the_package_s_mastery_score(db, scorm12, learner):
    launched = start(db, scorm12)
    item = package_unit(scorm12)["package"]["items"][0]
    cmi = runtime.runtime_data(launched.attempt, item, learner, "de")["cmi"]
    assert cmi["core"] == {
        "student_id": str(learner.id),
        "student_name": "Muster, Erika",
        "lesson_location": "",
        "credit": "credit",
        "entry": "ab-initio",
        "total_time": "0000:00:00",
        "lesson_mode": "normal",
    }
    assert cmi["suspend_data"] == "" and cmi["student_data"] == {"mastery_score": "80"}
    assert "interactions" not in cmi  # write-only in SCORM 1.2


def test_only_package_units_and_their_items_are_launched(db, scorm12, learner):
    with pytest.raises(learning.LearningError) as refused:
        start(db, scorm12, "sco9")
    assert refused.value.code == "unknown-item"
    lesson = learning.unit_of_type(scorm12, "einstieg", "lesson")
    with pytest.raises(learning.LearningError) as refused:
        runtime.launch(db, Actor(None), scorm12, lesson, "sco1", NOW)
    assert refused.value.code == "not-a-package"
    someone = make_user(db, learner.company)
    with pytest.raises(learning.LearningError):
        runtime.launch(db, Actor(someone), scorm12, package_unit(scorm12), "sco1", NOW)


# --- Suspending and resuming -----------------------------------------------------------


def test_a_suspended_attempt_resumes_with_its_location_suspend_data_and_time(db, scorm12, learner):
    first = start(db, scorm12)
    data = body12(location="seite-3", suspend="a=1;b=2", session="00:12:30", exit="suspend")
    outcome = commit(db, first, data, 1, terminate=True, at=NOW + 13 * MINUTE)
    assert outcome.stored and not outcome.ended and outcome.completion == "incomplete"
    assert first.launch.terminated_at == NOW + 13 * MINUTE

    again = start(db, scorm12, at=NOW + timedelta(hours=1))
    assert again.resumed and again.attempt is first.attempt
    assert (again.launch.number, again.attempt.launch_number) == (2, 2)
    item = package_unit(scorm12)["package"]["items"][0]
    cmi = runtime.runtime_data(again.attempt, item, learner, "de")["cmi"]
    assert cmi["core"]["entry"] == "resume"
    assert cmi["core"]["lesson_location"] == "seite-3"
    assert cmi["core"]["lesson_status"] == "incomplete"
    assert cmi["core"]["total_time"] == "0000:12:30"
    assert cmi["suspend_data"] == "a=1;b=2"


def test_an_attempt_left_without_suspending_goes_on_but_not_as_a_resume(db, scorm12, learner):
    first = start(db, scorm12)
    commit(db, first, body12(location="seite-2", exit=""), 1, terminate=True)
    again = start(db, scorm12, at=NOW + timedelta(hours=1))
    # SCORM 1.2: an unfinished attempt stays open (many packages never say "suspend").
    assert again.resumed
    item = package_unit(scorm12)["package"]["items"][0]
    cmi = runtime.runtime_data(again.attempt, item, learner, "de")["cmi"]
    assert cmi["core"]["entry"] == "" and cmi["core"]["lesson_location"] == "seite-2"


def test_session_time_counts_once_per_launch_however_often_it_commits(db, scorm12):
    first = start(db, scorm12)
    for sequence, session in enumerate(("00:01:00", "00:04:00", "00:10:00"), 1):
        commit(db, first, body12(session=session), sequence, at=NOW + 11 * MINUTE)
    assert first.attempt.total_seconds == 600
    second = start(db, scorm12, at=NOW + timedelta(hours=1))
    for sequence, session in enumerate(("00:02:00", "00:05:00"), 1):
        commit(db, second, body12(session=session), sequence, at=NOW + timedelta(hours=2))
    assert second.attempt.total_seconds == 900
    # A session cannot have lasted longer than its launch has been open.
    third = start(db, scorm12, at=NOW + timedelta(hours=3))
    commit(db, third, body12(session="0100:00:00"), 1, at=NOW + timedelta(hours=3, minutes=2))
    assert third.attempt.total_seconds == 900 + 180


def test_late_and_stale_commits_are_answered_but_change_nothing(db, scorm12):
    first = start(db, scorm12)
    assert commit(db, first, body12(location="p5", session="00:05:00"), 5).stored
    late = commit(db, first, body12(location="p3", session="00:03:00"), 3)
    repeated = commit(db, first, body12(location="p4"), 5)
    assert not late.stored and not repeated.stored
    assert first.attempt.location == "p5" and first.attempt.total_seconds == 300
    # A second tab launched the attempt again: the first tab's commits no longer count.
    second = start(db, scorm12, at=NOW + 6 * MINUTE)
    assert commit(db, second, body12(location="tab-2"), 1, at=NOW + 7 * MINUTE).stored
    old_tab = commit(db, first, body12(location="tab-1"), 6, at=NOW + 8 * MINUTE)
    assert not old_tab.stored
    db.expire_all()
    stored = db.get(PackageAttempt, first.attempt.id)
    assert stored.location == "tab-2" and stored.commit_sequence == 1


def test_a_reloaded_player_adds_its_new_session_to_the_time_before(db, scorm12):
    first = start(db, scorm12)
    commit(db, first, body12(session="00:05:00"), 1, at=NOW + 6 * MINUTE)
    # The page is reloaded within its launch: scorm-again's session time starts at 0.
    commit(db, first, body12(session="00:01:00"), 2, at=NOW + 8 * MINUTE)
    assert first.attempt.total_seconds == 360
    commit(db, first, body12(session="00:03:00"), 3, at=NOW + 10 * MINUTE)
    assert first.attempt.total_seconds == 480
    # Reloaded again; all pages together never count more than the launch was open.
    commit(db, first, body12(session="00:00:30"), 4, at=NOW + 11 * MINUTE)
    assert first.attempt.total_seconds == 510
    commit(db, first, body12(session="00:09:00"), 5, at=NOW + 12 * MINUTE)
    assert first.attempt.total_seconds == 12 * 60 + 60
    # The next launch counts on from there.
    second = start(db, scorm12, at=NOW + timedelta(hours=1))
    commit(db, second, body12(session="00:02:00"), 1, at=NOW + timedelta(hours=1, minutes=3))
    assert second.attempt.total_seconds == 780 + 120


def test_only_a_superseded_launch_is_told_its_data_is_not_kept(db, scorm12):
    first = start(db, scorm12)
    assert commit(db, first, body12(location="p2"), 2).stored
    late = commit(db, first, body12(location="p1"), 1)  # a late beacon: nothing to save
    assert not late.stored and not late.superseded
    second = start(db, scorm12, at=NOW + 6 * MINUTE)
    old_tab = commit(db, first, body12(location="tab-1"), 3, at=NOW + 7 * MINUTE)
    assert not old_tab.stored and old_tab.superseded
    assert db.get(PackageAttempt, first.attempt.id).location == "p2"
    # Once the attempt has ended, an old tab has nothing to save either.
    passed = body12("passed", raw="90")
    assert commit(db, second, passed, 1, terminate=True, at=NOW + 8 * MINUTE).ended
    after_end = commit(db, first, body12(location="tab-1"), 4, at=NOW + 9 * MINUTE)
    assert not after_end.stored and after_end.ended and not after_end.superseded


def test_oversized_values_the_sco_gets_back_are_refused(db, scorm12):
    launched = start(db, scorm12)
    with pytest.raises(runtime.CommitRefused) as refused:
        commit(db, launched, body12(suspend="x" * (64 * 1024 + 1)), 1)
    assert refused.value.code == "suspend-data-too-long"
    with pytest.raises(runtime.CommitRefused) as refused:
        commit(db, launched, body12(location="x" * 1001), 1)
    assert refused.value.code == "location-too-long"
    with pytest.raises(runtime.CommitRefused) as refused:
        commit(db, launched, {"core": {}}, 1)
    assert refused.value.code == "not-a-commit"
    # A score beyond what the attempt keeps is left out, not an error.
    assert commit(db, launched, body12(raw="123456789012.5"), 1).stored
    assert launched.attempt.score_raw is None
    # SCORM 1.2 allows 4,096 characters; more is kept all the same.
    assert commit(db, launched, body12(suspend="y" * 10_000), 2).stored
    assert launched.attempt.suspend_data == "y" * 10_000


# --- Results --------------------------------------------------------------------------


def test_passing_the_last_unit_completes_the_module_with_a_certificate(db, scorm12):
    progress = learning.mark_lesson_done(db, scorm12, "einstieg", NOW)
    assert progress.next_unit["id"] == "brandschutz"
    assert progress.units[1].status is learning.UnitStatus.OPEN  # the learner's to do
    launched = start(db, scorm12)
    done_at = NOW + 20 * MINUTE
    outcome = commit(
        db, launched, body12("passed", raw="90", session="00:19:00"), 1, terminate=True, at=done_at
    )
    assert (outcome.completion, outcome.success) == ("completed", "passed")
    assert outcome.satisfied and outcome.ended and outcome.unit_done
    attempt = launched.attempt
    assert (attempt.score_raw, attempt.score_scaled) == (Decimal("90"), Decimal("0.9"))
    assert attempt.satisfied_at == attempt.ended_at == done_at
    assert set(progress_rows(db, scorm12)) == {("einstieg", "done"), ("brandschutz", "passed")}
    assert scorm12.completed_at == done_at
    progress = learning.course_progress(db, scorm12, "de")
    assert progress.complete and progress.units[1].status is learning.UnitStatus.PASSED
    certificate = db.scalar(select(Completion).where(Completion.enrollment_id == scorm12.id))
    assert certificate is not None and certificate.completed_at == done_at
    verbs = db.scalars(
        select(LearningRecord.verb).where(
            LearningRecord.user_id == scorm12.user_id, LearningRecord.unit == "brandschutz"
        )
    ).all()
    assert sorted(verbs) == ["completed", "passed"]


def test_the_mastery_score_decides_over_the_sco_s_own_status_both_ways(db, world, scorm12):
    launched = start(db, scorm12)
    said_passed = commit(db, launched, body12("passed", raw="50"), 1)
    assert (said_passed.completion, said_passed.success) == ("completed", "failed")
    said_failed = commit(db, launched, body12("failed", raw="80"), 2)
    assert (said_failed.completion, said_failed.success) == ("completed", "passed")
    # While the SCO says it is not finished, a score so far decides nothing.
    other = enrolled(db, world.a.employees[0], scorm12.version)
    going = start(db, other)
    midway = commit(db, going, body12("incomplete", raw="20"), 1)
    assert (midway.completion, midway.success) == ("incomplete", "unknown")


def test_a_failed_attempt_ends_and_leaves_the_unit_open_for_another_attempt(db, scorm12, learner):
    learning.mark_lesson_done(db, scorm12, "einstieg", NOW)
    first = start(db, scorm12)
    failed = commit(db, first, body12("failed", raw="40"), 1, terminate=True)
    assert failed.ended and not failed.satisfied and not failed.unit_done
    assert progress_rows(db, scorm12) == [("einstieg", "done")]
    assert scorm12.completed_at is None
    second = start(db, scorm12, at=NOW + timedelta(hours=1))
    assert not second.resumed and second.attempt.number == 2
    item = package_unit(scorm12)["package"]["items"][0]
    cmi = runtime.runtime_data(second.attempt, item, learner, "de")["cmi"]
    assert cmi["core"]["entry"] == "ab-initio" and "lesson_status" not in cmi["core"]
    assert second.attempt.total_seconds == 0
    passed = commit(
        db, second, body12("passed", raw="85"), 1, terminate=True, at=NOW + timedelta(hours=2)
    )
    assert passed.unit_done and scorm12.completed_at == NOW + timedelta(hours=2)
    states = runtime.item_states(db, scorm12, package_unit(scorm12))
    assert [(s.attempts, s.satisfied, s.can_resume, s.best_score) for s in states] == [
        (2, True, False, Decimal("0.85"))
    ]


def test_a_sco_without_a_mastery_score_is_done_when_completed(db, learner):
    enrollment = enrolled(db, learner, package_course(db, lesson=False))
    launched = start(db, enrollment)
    outcome = commit(db, launched, body12("completed"), 1)
    assert outcome.satisfied and outcome.unit_done and not outcome.ended
    assert progress_rows(db, enrollment) == [("brandschutz", "done")]
    assert enrollment.completed_at is not None


def test_scorm_2004_judges_by_threshold_and_passing_score(db, learner):
    item = package_item(
        passing_score=Decimal("0.7"), completion_threshold=Decimal("0.75"), move_on="Passed"
    )
    enrollment = enrolled(db, learner, package_course(db, standard="scorm2004", items=[item]))
    launched = start(db, enrollment)
    unit_item = package_unit(enrollment)["package"]["items"][0]
    cmi = runtime.runtime_data(launched.attempt, unit_item, learner, "en")["cmi"]
    assert (cmi["scaled_passing_score"], cmi["completion_threshold"]) == ("0.7", "0.75")
    assert (cmi["entry"], cmi["completion_status"], cmi["total_time"]) == (
        "ab-initio",
        "not attempted",
        "PT0S",
    )
    said_done = commit(
        db, launched, body2004("completed", "passed", scaled="0.5", progress="0.5"), 1
    )
    assert (said_done.completion, said_done.success) == ("incomplete", "failed")
    said_not = commit(
        db, launched, body2004("incomplete", "failed", scaled="0.9", progress="0.8"), 2
    )
    assert (said_not.completion, said_not.success) == ("completed", "passed")
    assert said_not.satisfied and said_not.unit_done
    assert progress_rows(db, enrollment) == [("brandschutz", "passed")]


def test_scorm_2004_exits_end_the_attempt_unless_suspended(db, learner):
    enrollment = enrolled(db, learner, package_course(db, standard="scorm2004"))
    first = start(db, enrollment)
    data = body2004(location="k2", suspend="s", session="PT3M", exit="suspend")
    commit(db, first, data, 1, terminate=True)
    again = start(db, enrollment, at=NOW + timedelta(hours=1))
    assert again.resumed
    item = package_unit(enrollment)["package"]["items"][0]
    cmi = runtime.runtime_data(again.attempt, item, learner, "de")["cmi"]
    assert (cmi["entry"], cmi["location"], cmi["suspend_data"], cmi["total_time"]) == (
        "resume",
        "k2",
        "s",
        "PT3M",
    )
    commit(db, again, body2004(exit="normal"), 1, terminate=True, at=NOW + timedelta(hours=2))
    third = start(db, enrollment, at=NOW + timedelta(hours=3))
    assert not third.resumed and third.attempt.number == 2


def test_every_item_of_a_unit_must_be_done(db, learner):
    items = [package_item("teil-1"), package_item("teil-2", passing_score=Decimal("0.5"))]
    enrollment = enrolled(db, learner, package_course(db, lesson=False, items=items))
    one = start(db, enrollment, "teil-1")
    assert commit(db, one, body12("completed"), 1).satisfied
    assert progress_rows(db, enrollment) == []
    two = start(db, enrollment, "teil-2")
    assert commit(db, two, body12("passed", raw="60"), 1).unit_done
    # Not every item passed by score (teil-1 has none): the unit is done, not passed.
    assert progress_rows(db, enrollment) == [("brandschutz", "done")]
    states = runtime.item_states(db, enrollment, package_unit(enrollment))
    assert [(s.item["id"], s.satisfied, s.can_resume) for s in states] == [
        ("teil-1", True, True),
        ("teil-2", True, True),
    ]


# --- Interactions ---------------------------------------------------------------------


def test_interactions_are_kept_per_position_and_written_only_when_changed(
    db, learner, count_queries
):
    enrollment = enrolled(db, learner, package_course(db, standard="scorm2004"))
    launched = start(db, enrollment)
    answers = [("q1", "a", "correct"), ("q2", "b", "incorrect")]
    commit(db, launched, body2004(interactions=answers), 1)
    changed = [("q1", "a", "correct"), ("q2", "c", "correct"), ("q3", "0", "neutral")]
    count_queries.statements.clear()
    commit(db, launched, body2004(interactions=changed), 2)
    writes = [s for s in count_queries.statements if "package_interactions" in s]
    assert len(writes) == 2  # the changed positions replaced at once
    rows = db.execute(
        select(
            PackageInteraction.position,
            PackageInteraction.interaction_id,
            PackageInteraction.response,
            PackageInteraction.result,
            PackageInteraction.description,
        )
        .where(PackageInteraction.attempt_id == launched.attempt.id)
        .order_by(PackageInteraction.position)
    ).all()
    assert rows == [
        (0, "q1", "a", "correct", "Frage q1"),
        (1, "q2", "c", "correct", "Frage q2"),
        (2, "q3", "0", "neutral", "Frage q3"),
    ]
    # A commit with the same interactions: one statement, the attempt's update.
    count_queries.statements.clear()
    commit(db, launched, body2004(interactions=changed, location="weiter"), 3)
    assert len(count_queries.statements) == 1
    # SCORM 2004 gives the interactions back to the SCO on the next launch.
    again = start(db, enrollment, at=NOW + timedelta(hours=1))
    item = package_unit(enrollment)["package"]["items"][0]
    cmi = runtime.runtime_data(again.attempt, item, learner, "de")["cmi"]
    assert [(i["id"], i["learner_response"]) for i in cmi["interactions"]] == [
        ("q1", "a"),
        ("q2", "c"),
        ("q3", "0"),
    ]


def test_scorm_12_results_are_recorded_in_one_word(db, scorm12):
    launched = start(db, scorm12)
    commit(db, launched, body12(interactions=[("q1", "b", "wrong"), ("q2", "a", "correct")]), 1)
    results = db.scalars(
        select(PackageInteraction.result)
        .where(PackageInteraction.attempt_id == launched.attempt.id)
        .order_by(PackageInteraction.position)
    ).all()
    assert results == ["incorrect", "correct"]


# --- Versions, rounds and companies ---------------------------------------------------


def test_an_attempt_stays_on_its_version_and_a_new_version_starts_a_new_one(db, scorm12):
    first = start(db, scorm12)
    commit(db, first, body12(location="v1", exit="suspend"), 1, terminate=True)
    newer = package_course(
        db, course=scorm12.course, items=[package_item(passing_score=Decimal("0.6"))]
    )
    # Still on version 1: the open attempt goes on.
    assert start(db, scorm12, at=NOW + MINUTE).attempt is first.attempt
    assert learning.move_to_live_version(db, scorm12, NOW + 2 * MINUTE)
    moved = start(db, scorm12, at=NOW + 3 * MINUTE)
    assert not moved.resumed and moved.attempt.number == 2
    assert moved.attempt.version_id == newer.id != first.attempt.version_id
    assert moved.attempt.cmi["item"]["passing_score"] == "0.6"
    assert first.attempt.ended_at is None  # kept as it was, on its version
    states = runtime.item_states(db, scorm12, package_unit(scorm12))
    assert (states[0].latest, states[0].attempts, states[0].can_resume) == (
        moved.attempt,
        2,
        True,
    )


def test_a_new_round_starts_a_new_attempt(db, learner):
    enrollment = enrolled(db, learner, package_course(db, lesson=False))
    first = start(db, enrollment)
    commit(db, first, body12("completed", exit="suspend"), 1, terminate=True)
    assert enrollment.completed_at is not None
    assert learning.start_new_round(db, enrollment, NOW + timedelta(days=300))
    states = runtime.item_states(db, enrollment, package_unit(enrollment))
    assert (states[0].attempts, states[0].satisfied, states[0].latest) == (0, False, None)
    again = start(db, enrollment, at=NOW + timedelta(days=300, minutes=1))
    assert not again.resumed and again.attempt.number == 2


def test_another_company_s_launch_is_found_only_by_its_token(db, world, scorm12):
    theirs = enrolled(db, world.b.employees[0], scorm12.version)
    their_launch = start(db, theirs)
    mine = start(db, scorm12)
    assert their_launch.attempt.company_id == world.b.company.id
    assert mine.attempt.company_id == world.a.company.id
    assert runtime.launch_by_token(db, mine.token, NOW) is mine.launch
    assert runtime.launch_by_token(db, their_launch.token, NOW) is their_launch.launch
    states = runtime.item_states(db, scorm12, package_unit(scorm12))
    assert states[0].latest is mine.attempt and states[0].attempts == 1
    # A commit goes to the launch's own attempt, whoever sends it.
    commit(db, their_launch, body12(location="beta"), 1)
    assert mine.attempt.location == "" and their_launch.attempt.location == "beta"


def test_item_states_take_one_query(db, scorm12, count_queries):
    start(db, scorm12)
    unit = package_unit(scorm12)
    count_queries.statements.clear()
    states = runtime.item_states(db, scorm12, unit)
    assert len(count_queries.statements) == 1
    assert states[0].can_resume and states[0].attempts == 1


def test_a_commit_is_found_and_stored_in_two_statements(db, scorm12, count_queries):
    launched = start(db, scorm12)
    token = launched.token
    db.expunge_all()
    count_queries.statements.clear()
    found = runtime.launch_by_token(db, token, NOW + MINUTE)
    assert found is not None
    runtime.commit(db, found, body12(location="p2", session="00:01:00"), 1, False, NOW + MINUTE)
    assert len(count_queries.statements) == 2, "\n".join(s[:150] for s in count_queries.statements)
    assert db.scalar(select(func.count()).select_from(PackageLaunch)) == 1


def test_of_two_commits_at_once_the_later_one_stays(tmp_path):
    """An older commit that runs into a newer one's open transaction (a slow request, a
    beacon) waits for it, then finds itself overtaken and changes nothing."""
    from tests.conftest import database_of_its_own, make_test_app, reset_database
    from tests.factories import make_company

    with database_of_its_own(tmp_path) as url:
        app = make_test_app(tmp_path, DATABASE_URL=url)
        reset_database(app)
        database = app.extensions["db"]
        failed, outcomes = [], []
        try:
            with app.app_context():
                with database.begin() as session:
                    person = make_user(session, make_company(session))
                    enrollment = enrolled(session, person, package_course(session))
                    token = start(session, enrollment).token

                def older_commit():
                    try:
                        with database.begin() as session:
                            found = runtime.launch_by_token(session, token, NOW + MINUTE)
                            outcomes.append(
                                runtime.commit(
                                    session, found, body12(location="alt"), 1, False, NOW + MINUTE
                                ).stored
                            )
                    except Exception as error:  # reported below
                        failed.append(error)

                other = threading.Thread(target=older_commit)
                with database.begin() as session:
                    found = runtime.launch_by_token(session, token, NOW + MINUTE)
                    newer = body12(location="neu")
                    assert runtime.commit(session, found, newer, 2, False, NOW + MINUTE).stored
                    other.start()
                    other.join(0.2)  # give it the time to run into our row or lock
                other.join()
                assert failed == [] and outcomes == [False]
                with database.begin() as session:
                    kept = session.scalars(select(PackageAttempt)).one()
                    assert (kept.location, kept.commit_sequence) == ("neu", 2)
        finally:
            database.engine.dispose()
