"""What SCORM runtime data means: reading commits, judging them as the LMS, and handing
the data back to scorm-again (the vendored library itself, run in Node)."""

from __future__ import annotations

import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from lms.packages import scorm
from lms.packages.scorm import CommitRefused, Learner, Verdict

RUNNER = Path(__file__).parent / "package_runtime" / "scorm_again.js"
NOTHING = Verdict("not_attempted", "unknown")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:00:00", 0),
        ("0001:02:03", 3723),
        ("01:02:03.5", 3723.5),
        ("9999:59:59", 9999 * 3600 + 3599),
        ("1:2", 0),
        ("", 0),
        (None, 0),
        ("PT1H", 0),
    ],
)
def test_scorm_12_timespans_are_read(text, seconds):
    assert scorm.timespan_seconds(text) == seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT0S", 0),
        ("PT1H2M3.5S", 3723.5),
        ("P1DT1S", 86401),
        ("PT90M", 5400),
        ("P1Y", 365 * 86400),
        ("PT1,5S", 1.5),
        ("00:01:00", 0),
        ("P", 0),
        (12, 0),
    ],
)
def test_scorm_2004_durations_are_read(text, seconds):
    assert scorm.duration_seconds(text) == seconds


def test_times_are_written_as_each_standard_wants():
    assert scorm.timespan(3723) == "0001:02:03"
    assert scorm.timespan(10**9) == "9999:59:59"
    assert (scorm.duration(0), scorm.duration(3723), scorm.duration(60)) == (
        "PT0S",
        "PT1H2M3S",
        "PT1M",
    )


def commit12(status="", raw="", exit="", **core):
    return {
        "cmi": {
            "core": {
                "lesson_status": status,
                "exit": exit,
                "score": {"raw": raw, "min": "", "max": ""},
                **core,
            }
        }
    }


def commit2004(completion="", success="", scaled="", progress="", exit=""):
    return {
        "cmi": {
            "completion_status": completion,
            "success_status": success,
            "progress_measure": progress,
            "exit": exit,
            "score": {"scaled": scaled},
        }
    }


@pytest.mark.parametrize(
    "body",
    [[], {"cmi": "text"}, {"cmi": {"core": "text"}}, {"cmi": {"suspend_data": {"a": 1}}}],
)
def test_what_is_no_commit_is_refused(body):
    with pytest.raises(CommitRefused):
        scorm.read_commit("scorm12", body)


def test_too_many_interactions_are_refused():
    many = {str(n): {"id": f"q{n}"} for n in range(scorm.MAX_INTERACTIONS + 1)}
    with pytest.raises(CommitRefused) as refused:
        scorm.read_commit("scorm2004", {"cmi": {"interactions": many}})
    assert refused.value.code == "too-many-interactions"


def test_interaction_texts_are_cut_not_refused():
    long = {"0": {"id": "q" * 900, "type": "fill-in", "learner_response": "r" * 9000}}
    reported = scorm.read_commit("scorm2004", {"cmi": {"interactions": long}})
    (row,) = reported.interaction_rows()
    assert (len(row.interaction_id), len(row.response)) == (scorm.MAX_ID, scorm.MAX_RESPONSE)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("passed", ("completed", "passed")),
        ("completed", ("completed", "unknown")),
        ("failed", ("completed", "failed")),
        ("incomplete", ("incomplete", "unknown")),
        ("browsed", ("incomplete", "unknown")),
        ("not attempted", ("not_attempted", "unknown")),
        ("", ("incomplete", "unknown")),  # not set: stays as it was
        ("done", ("incomplete", "unknown")),  # no status: likewise
    ],
)
def test_scorm_12_lesson_status_without_a_mastery_score(status, expected):
    reported = scorm.read_commit("scorm12", commit12(status, raw="10"))
    verdict = scorm.judge(reported, None, None, False, Verdict("incomplete", "unknown"))
    assert (verdict.completion, verdict.success) == expected


@pytest.mark.parametrize(
    ("status", "raw", "terminating", "exit", "expected"),
    [
        ("passed", "79", False, "", ("completed", "failed")),  # the score decides…
        ("failed", "80", False, "", ("completed", "passed")),  # …both ways
        ("completed", "95", False, "", ("completed", "passed")),
        ("incomplete", "95", False, "", ("incomplete", "unknown")),  # not finished yet
        ("incomplete", "95", True, "suspend", ("incomplete", "unknown")),  # coming back
        ("incomplete", "95", True, "", ("completed", "passed")),  # left: LMSFinish decides
        ("passed", "", False, "", ("completed", "passed")),  # no score: the SCO's word
        ("passed", "1E+999999", False, "", ("completed", "passed")),  # no number: likewise
    ],
)
def test_scorm_12_mastery_score_decides_once_the_sco_gives_a_verdict(
    status, raw, terminating, exit, expected
):
    reported = scorm.read_commit("scorm12", commit12(status, raw=raw, exit=exit))
    verdict = scorm.judge(reported, Decimal("0.8"), None, terminating, NOTHING)
    assert (verdict.completion, verdict.success) == expected


@pytest.mark.parametrize(
    ("raw", "low", "high", "success"),
    [
        ("80", "0", "200", "passed"),  # 40 % of its range, but the raw score counts
        ("79.5", "0", "200", "failed"),
        ("80", "50", "100", "passed"),
        ("90", "0", "50", "passed"),  # above its max: still the raw score
    ],
)
def test_scorm_12_mastery_score_is_compared_with_the_raw_score(raw, low, high, success):
    core = {"lesson_status": "completed", "score": {"raw": raw, "min": low, "max": high}}
    reported = scorm.read_commit("scorm12", {"cmi": {"core": core}})
    # An item's passing score is its mastery score / 100 (80 here, RTE 3.4.4).
    assert scorm.judge(reported, Decimal("0.8"), None, False, NOTHING).success == success


def test_scores_too_large_to_keep_or_to_reckon_with_are_left_out():
    def reported(raw, low="", high=""):
        core = {"score": {"raw": raw, "min": low, "max": high}}
        return scorm.read_commit("scorm12", {"cmi": {"core": core}})

    # score_raw is NUMERIC(12, 4): 99999999.99999 would round up to 10⁸.
    assert reported("99999999.99994").score_raw == Decimal("99999999.9999")
    assert reported("99999999.99999").score_raw is None
    assert reported("-123456789").score_raw is None
    # Exponents far beyond any score would overflow the scaling: left out (0…100).
    assert reported("50", "-9E+999999", "9E+999999").score_scaled() == Decimal("0.5")
    assert reported("50", "0", "1E-999999").score_scaled() is None  # max 0: no range
    assert reported("1E-999999").score_scaled() == Decimal(0)


def test_scorm_12_raw_scores_are_scaled_on_their_range():
    reported = scorm.read_commit(
        "scorm12", {"cmi": {"core": {"score": {"raw": "40", "min": "0", "max": "50"}}}}
    )
    assert reported.score_scaled() == Decimal("0.8")
    assert scorm.read_commit("scorm12", commit12(raw="72.5")).score_scaled() == Decimal("0.725")
    assert scorm.read_commit("scorm12", commit12(raw="x")).score_scaled() is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            commit2004("completed", "passed", scaled="0.69", progress="0.74"),
            ("incomplete", "failed"),
        ),
        (
            commit2004("incomplete", "failed", scaled="0.7", progress="0.75"),
            ("completed", "passed"),
        ),
        # With a scaled passing score, a success without a score is unknown (RTE 4.2.22).
        (commit2004("completed", "passed"), ("completed", "unknown")),
        (commit2004("completed", "failed"), ("completed", "unknown")),
        (commit2004("unknown", "unknown", scaled="0.9"), ("unknown", "passed")),
        (commit2004(progress="1"), ("completed", "unknown")),
        (commit2004("bogus", "bogus"), ("not_attempted", "unknown")),
    ],
)
def test_scorm_2004_measures_decide_over_the_sco_s_statuses(body, expected):
    reported = scorm.read_commit("scorm2004", body)
    verdict = scorm.judge(reported, Decimal("0.7"), Decimal("0.75"), False, NOTHING)
    assert (verdict.completion, verdict.success) == expected


def test_without_threshold_or_passing_score_the_sco_s_statuses_count():
    reported = scorm.read_commit("scorm2004", commit2004("completed", "failed", scaled="0.99"))
    assert scorm.judge(reported, None, None, False, NOTHING) == Verdict("completed", "failed")


@pytest.mark.parametrize(
    ("move_on", "completion", "success", "done"),
    [
        ("Passed", "completed", "unknown", False),
        ("Passed", "incomplete", "passed", True),
        ("Completed", "completed", "unknown", True),
        ("Completed", "completed", "failed", False),  # a failed SCO is not done
        ("CompletedOrPassed", "incomplete", "passed", True),
        ("CompletedOrPassed", "completed", "failed", False),
        ("CompletedAndPassed", "completed", "unknown", False),
        ("CompletedAndPassed", "completed", "passed", True),
        ("NotApplicable", "not_attempted", "failed", True),
    ],
)
def test_an_item_is_done_by_its_move_on(move_on, completion, success, done):
    assert scorm.satisfied(move_on, Verdict(completion, success)) is done


@pytest.mark.parametrize(
    ("standard", "body", "ends"),
    [
        ("scorm2004", commit2004("incomplete", exit="suspend"), False),
        ("scorm2004", commit2004("incomplete", exit=""), True),
        ("scorm2004", commit2004("completed", exit="normal"), True),
        ("scorm12", commit12("incomplete", exit=""), False),
        ("scorm12", commit12("completed", exit=""), True),
        ("scorm12", commit12("failed", exit="logout"), True),
        ("scorm12", commit12("passed", exit="suspend"), False),
    ],
)
def test_which_exits_end_an_attempt(standard, body, ends):
    reported = scorm.read_commit(standard, body)
    verdict = scorm.judge(reported, None, None, True, NOTHING)
    assert scorm.ends_attempt(reported, verdict) is ends


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Erika Muster", "Muster, Erika"),
        ("Anna Maria  von Berg", "Berg, Anna Maria von"),
        ("Muster, Erika", "Muster, Erika"),
        ("Cher", "Cher"),
    ],
)
def test_scorm_12_names_the_learner_last_name_first(name, expected):
    assert scorm.learner_name_12(name) == expected


# --- Handing the data to scorm-again ---------------------------------------------------


def scorm_again(standard, load, get=(), set_values=()):
    if shutil.which("node") is None:
        pytest.skip("Node is not installed")
    task = {"standard": standard, "load": load, "get": list(get), "set": list(set_values)}
    finished = subprocess.run(
        ["node", str(RUNNER)],
        input=json.dumps(task),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


ITEM = {"passing_score": "0.8", "completion_threshold": "0.75", "launch_data": "kapitel=2"}
LEARNER = Learner("42", "Erika Muster", "de")


def test_scorm_12_data_loads_into_scorm_again_and_its_commit_reads_back():
    suspended = scorm.read_commit(
        "scorm12",
        {
            "cmi": {
                "suspend_data": "seite=3;antworten=ab",
                "core": {
                    "lesson_location": "seite-3",
                    "lesson_status": "incomplete",
                    "exit": "suspend",
                    "score": {"raw": "40", "min": "0", "max": "100"},
                },
                "objectives": {"0": {"id": "ziel-1", "status": "passed", "score": {"raw": "90"}}},
            }
        },
    )
    load = scorm.load_data(
        "scorm12",
        scorm.stored_cmi(suspended),
        completion="incomplete",
        success="unknown",
        location="seite-3",
        suspend_data="seite=3;antworten=ab",
        total_seconds=750,
        item=ITEM,
        learner=LEARNER,
    )
    core = [
        "student_id",
        "student_name",
        "lesson_location",
        "credit",
        "lesson_status",
        "entry",
        "total_time",
        "lesson_mode",
        "score.raw",
    ]
    ran = scorm_again(
        "scorm12",
        load,
        get=[f"cmi.core.{name}" for name in core]
        + ["cmi.suspend_data", "cmi.launch_data", "cmi.student_data.mastery_score"]
        + ["cmi.objectives._count", "cmi.objectives.0.status", "cmi.student_preference.language"],
        set_values=[
            ("cmi.core.session_time", "00:05:10"),
            ("cmi.core.score.raw", "85"),
            ("cmi.core.lesson_status", "passed"),
            ("cmi.core.exit", ""),
            ("cmi.interactions.0.id", "frage-1"),
            ("cmi.interactions.0.type", "choice"),
            ("cmi.interactions.0.student_response", "b"),
            ("cmi.interactions.0.result", "wrong"),
        ],
    )
    assert ran["initialized"] == "true" and ran["refused"] == {}
    assert ran["got"] == {
        "cmi.core.student_id": "42",
        "cmi.core.student_name": "Muster, Erika",
        "cmi.core.lesson_location": "seite-3",
        "cmi.core.credit": "credit",
        "cmi.core.lesson_status": "incomplete",
        "cmi.core.entry": "resume",
        "cmi.core.total_time": "00:12:30",  # scorm-again shortens the hours
        "cmi.core.lesson_mode": "normal",
        "cmi.core.score.raw": "40",
        "cmi.suspend_data": "seite=3;antworten=ab",
        "cmi.launch_data": "kapitel=2",
        "cmi.student_data.mastery_score": "80",
        "cmi.objectives._count": "1",
        "cmi.objectives.0.status": "passed",
        "cmi.student_preference.language": "de",
    }
    committed = scorm.read_commit("scorm12", ran["commit"])
    assert committed.session_seconds == 310 and committed.location == "seite-3"
    assert scorm.judge(committed, Decimal("0.8"), None, True, NOTHING) == Verdict(
        "completed", "passed"
    )
    (row,) = committed.interaction_rows()
    assert (row.interaction_id, row.kind, row.response, row.result) == (
        "frage-1",
        "choice",
        "b",
        "incorrect",
    )


def test_scorm_2004_data_loads_into_scorm_again_with_its_interactions():
    earlier = scorm.read_commit(
        "scorm2004",
        {
            "cmi": {
                "completion_status": "incomplete",
                "success_status": "unknown",
                "progress_measure": "0.5",
                "exit": "suspend",
                "score": {"scaled": "0.4", "raw": "4", "min": "0", "max": "10"},
                "interactions": {
                    "0": {
                        "id": "frage-1",
                        "type": "choice",
                        "timestamp": "2026-12-05T09:10:00",
                        "learner_response": "b",
                        "result": "incorrect",
                        "description": "Welcher Löscher?",
                        "correct_responses": {"0": {"pattern": "a"}},
                    }
                },
                "objectives": {"0": {"id": "ziel-1", "success_status": "passed"}},
            }
        },
    )
    load = scorm.load_data(
        "scorm2004",
        scorm.stored_cmi(earlier),
        completion="incomplete",
        success="unknown",
        location="k3",
        suspend_data='{"seite": 3}',
        total_seconds=3723,
        item=ITEM,
        learner=LEARNER,
    )
    elements = [
        "learner_id",
        "learner_name",
        "location",
        "suspend_data",
        "launch_data",
        "entry",
        "credit",
        "mode",
        "scaled_passing_score",
        "completion_threshold",
        "total_time",
        "progress_measure",
        "score.scaled",
        "interactions._count",
        "interactions.0.id",
        "interactions.0.learner_response",
        "interactions.0.correct_responses.0.pattern",
        "interactions.0.description",
        "objectives.0.success_status",
        "learner_preference.language",
        "completion_status",
    ]
    ran = scorm_again(
        "scorm2004",
        load,
        get=[f"cmi.{name}" for name in elements],
        set_values=[
            ("cmi.session_time", "PT4M30S"),
            ("cmi.progress_measure", "0.8"),
            ("cmi.score.scaled", "0.9"),
            ("cmi.success_status", "passed"),
            ("cmi.exit", "normal"),
            ("cmi.interactions.1.id", "frage-2"),
            ("cmi.interactions.1.type", "true-false"),
            ("cmi.interactions.1.learner_response", "true"),
            ("cmi.interactions.1.result", "correct"),
        ],
    )
    assert ran["initialized"] == "true" and ran["refused"] == {}
    assert ran["got"] == {
        "cmi.learner_id": "42",
        "cmi.learner_name": "Erika Muster",
        "cmi.location": "k3",
        "cmi.suspend_data": '{"seite": 3}',
        "cmi.launch_data": "kapitel=2",
        "cmi.entry": "resume",
        "cmi.credit": "credit",
        "cmi.mode": "normal",
        "cmi.scaled_passing_score": "0.8",
        "cmi.completion_threshold": "0.75",
        "cmi.total_time": "PT1H2M3S",
        "cmi.progress_measure": "0.5",
        "cmi.score.scaled": "0.4",
        "cmi.interactions._count": "1",
        "cmi.interactions.0.id": "frage-1",
        "cmi.interactions.0.learner_response": "b",
        "cmi.interactions.0.correct_responses.0.pattern": "a",
        "cmi.interactions.0.description": "Welcher Löscher?",
        "cmi.objectives.0.success_status": "passed",
        "cmi.learner_preference.language": "de",
        "cmi.completion_status": "incomplete",  # 0.5 is below the threshold
    }
    committed = scorm.read_commit("scorm2004", ran["commit"])
    assert committed.session_seconds == 270 and committed.exit == "normal"
    assert scorm.judge(committed, Decimal("0.8"), Decimal("0.75"), True, NOTHING) == Verdict(
        "completed", "passed"
    )
    assert [(r.position, r.interaction_id, r.result) for r in committed.interaction_rows()] == [
        (0, "frage-1", "incorrect"),
        (1, "frage-2", "correct"),
    ]
    # What was loaded comes back unchanged: only the new interaction is written.
    assert scorm.changed_interactions(scorm.stored_cmi(earlier), committed) == [1]


@pytest.mark.parametrize(
    ("standard", "expected"),
    [
        (
            "scorm2004",
            {
                "cmi.entry": "ab-initio",
                "cmi.completion_status": "not attempted",
                "cmi.scaled_passing_score": "",
                "cmi.total_time": "PT0S",
            },
        ),
        (
            "scorm12",
            {
                "cmi.core.entry": "ab-initio",
                "cmi.core.lesson_status": "not attempted",
                "cmi.student_data.mastery_score": "",
                "cmi.core.total_time": "00:00:00",
            },
        ),
    ],
)
def test_a_new_attempt_loads_as_a_first_entry(standard, expected):
    load = scorm.load_data(
        standard,
        {},
        completion="not_attempted",
        success="unknown",
        location="",
        suspend_data="",
        total_seconds=0,
        item={"passing_score": None, "completion_threshold": None, "launch_data": ""},
        learner=LEARNER,
    )
    ran = scorm_again(standard, load, get=list(expected))
    assert ran["got"] == expected
