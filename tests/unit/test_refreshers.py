"""Spaced refreshers: the course setting, when one is due (with a set clock), which
questions it asks, grading once, the item statistics, and the reminder mail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.content.importer import import_course
from lms.content.parser import parse_course
from lms.content.spec import Validity
from lms.models import Completion, Enrollment, QuizAttempt, Refresher, RefresherAnswer
from lms.services import item_stats, refreshers, reminders
from lms.services.refreshers import due_days, offered_step
from tests.factories import make_company, make_user
from tests.unit.test_course_parser import COURSE_MD, quiz, write_course
from tests.unit.test_item_stats import ATTEMPTS as QUIZ_ATTEMPTS
from tests.unit.test_item_stats import STATS_QUIZ, add_attempt

# Completed on Monday 2 March 2026, 16:30 in Berlin.
COMPLETED = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
REFRESH_MD = COURSE_MD.replace(
    "valid_for: 12 months", "valid_for: 12 months\nrefresh: [7 days, 30 days]"
)


def refresher_course(app, db, tmp_path, course_md=REFRESH_MD, slug="auffrischkurs"):
    folder = write_course(
        tmp_path, {"course.md": course_md, "02-check.md": quiz(STATS_QUIZ)}, slug=slug
    )
    with app.test_request_context():
        outcome = import_course(db, folder, COMPLETED - timedelta(days=30))
    assert outcome.version is not None, outcome.problems
    return outcome.version


def complete(db, version, user, at=COMPLETED, **values):
    enrollment = db.scalar(
        select(Enrollment).where(
            Enrollment.user_id == user.id, Enrollment.course_id == version.course_id
        )
    )
    if enrollment is None:
        enrollment = Enrollment(
            company_id=user.company_id,
            user_id=user.id,
            course_id=version.course_id,
            version_id=version.id,
            enrolled_at=at,
            counts_from=at,
            completed_at=at,
        )
        db.add(enrollment)
        db.flush()
    completion = Completion(
        company_id=user.company_id,
        user_id=user.id,
        enrollment_id=enrollment.id,
        course_id=version.course_id,
        version_id=version.id,
        completed_at=at,
        code=f"TEST-{user.id}-{at:%j%H%M}",
        valid_until=at + timedelta(days=365),
        **values,
    )
    db.add(completion)
    db.flush()
    return completion


@pytest.fixture
def setup(app, db, tmp_path):
    version = refresher_course(app, db, tmp_path)
    company = make_company(db)
    learner = make_user(db, company, name="Rita Refresh")
    completion = complete(db, version, learner)
    return version, company, learner, completion


def open_for(db, company, on, user=None):
    return refreshers.open_refreshers(db, company.id, on, user.id if user else None)


# --- The course setting -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "periods"),
    [
        ("[7 days, 30 days]", (Validity(7, "days"), Validity(30, "days"))),
        (
            "7 Tage, 2 Wochen, 3 Monate",
            (Validity(7, "days"), Validity(14, "days"), Validity(3, "months")),
        ),
        ("1 year", (Validity(1, "years"),)),
    ],
)
def test_refresh_is_read_in_english_and_german_words(tmp_path, written, periods):
    course_md = COURSE_MD.replace("valid_for: 12 months", f"refresh: {written}")
    folder = write_course(tmp_path, {"course.md": course_md, "02-check.md": quiz(STATS_QUIZ)})
    result = parse_course(folder)
    assert result.spec is not None, result.problems
    assert result.spec.refresh == periods


def test_the_version_keeps_the_periods_only_when_there_are_questions(app, db, tmp_path):
    version = refresher_course(app, db, tmp_path)
    assert version.refresh == "7 days, 30 days"
    without = write_course(tmp_path / "b", {"course.md": REFRESH_MD}, slug="ohnefragen")
    with app.test_request_context():
        outcome = import_course(db, without, COMPLETED)
    assert outcome.version is not None
    assert outcome.version.refresh is None
    assert [p.code for p in outcome.problems] == ["refresh-without-questions"]


# --- When a refresher is due ------------------------------------------------------------------


def test_refreshers_fall_on_the_days_after_completing_in_berlin():
    days = due_days(date(2026, 3, 2), "7 days, 30 days")
    assert days == [date(2026, 3, 9), date(2026, 4, 1)]
    assert due_days(date(2026, 1, 31), "1 months, 1 years") == [
        date(2026, 2, 28),
        date(2027, 1, 31),
    ]


def test_a_refresher_is_offered_from_its_day_for_two_weeks_or_until_the_next():
    days = [date(2026, 3, 9), date(2026, 4, 1)]
    assert offered_step(days, date(2026, 3, 8)) is None
    assert offered_step(days, date(2026, 3, 9)) == 0
    assert offered_step(days, date(2026, 3, 22)) == 0  # day 13 after its day
    assert offered_step(days, date(2026, 3, 23)) is None  # 14 days later: missed
    assert offered_step(days, date(2026, 4, 1)) == 1
    assert offered_step(days, date(2026, 4, 15)) is None
    close = [date(2026, 3, 9), date(2026, 3, 12)]
    assert offered_step(close, date(2026, 3, 11)) == 0
    assert offered_step(close, date(2026, 3, 12)) == 1  # the next one takes over


def test_open_refreshers_follow_the_injected_day(db, setup):
    _version, company, learner, completion = setup
    assert open_for(db, company, date(2026, 3, 8)) == []
    (due,) = open_for(db, company, date(2026, 3, 9))
    assert (due.completion_id, due.step, due.due_on, due.user_id) == (
        completion.id,
        0,
        date(2026, 3, 9),
        learner.id,
    )
    assert open_for(db, company, date(2026, 3, 9), learner) == [due]
    (second,) = open_for(db, company, date(2026, 4, 1))
    assert second.step == 1


def test_a_completion_late_in_the_evening_counts_from_its_day_in_berlin(db, app, tmp_path):
    version = refresher_course(app, db, tmp_path)
    company = make_company(db)
    learner = make_user(db, company)
    # 22:30 UTC on 2 March is 23:30 in Berlin, still 2 March; 23:30 UTC is 3 March there.
    complete(db, version, learner, at=datetime(2026, 3, 2, 22, 30, tzinfo=UTC))
    assert [d.due_on for d in open_for(db, company, date(2026, 3, 9))] == [date(2026, 3, 9)]
    other = make_user(db, company)
    complete(db, version, other, at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC))  # 3 March, 0:30
    assert [d.user_id for d in open_for(db, company, date(2026, 3, 9))] == [learner.id]
    assert [d.user_id for d in open_for(db, company, date(2026, 3, 10))] == [learner.id, other.id]


def test_only_the_newest_completion_counts_and_a_revoked_one_none(db, setup):
    version, company, learner, _completion = setup
    again = complete(db, version, learner, at=COMPLETED + timedelta(days=5))
    (due,) = open_for(db, company, date(2026, 3, 14))
    assert due.completion_id == again.id  # 7 days after the second completion
    assert open_for(db, company, date(2026, 3, 9)) == []
    again.revoked_at = COMPLETED + timedelta(days=6)
    db.flush()
    assert open_for(db, company, date(2026, 3, 14)) == []


def test_other_companies_never_see_a_refresher(db, setup):
    _version, _company, _learner, _completion = setup
    other = make_company(db)
    assert open_for(db, other, date(2026, 3, 9)) == []


# --- Questions, answers, grading -----------------------------------------------------------------


def test_three_questions_the_same_on_every_visit_and_new_ones_next_time(db, setup):
    version, _company, _learner, completion = setup
    first = refreshers.draw(version, completion.id, 0, "de")
    assert len(first) == 3
    assert [d.question.id for d in first] == [
        d.question.id for d in refreshers.draw(version, completion.id, 0, "de")
    ]
    second = refreshers.draw(version, completion.id, 1, "de")
    # Four questions: the second refresher starts with the one not asked yet.
    missing = {"farbe", "merkmale", "begriff", "zettel"} - {d.question.id for d in first}
    assert second[0].question.id in missing
    for item in first + second:
        assert "correct" not in str(item.public)  # the learner's view has no answer key
        assert item.unit_id == "check"


def answers_for(drawn, right=True):
    """Form fields answering every drawn question of STATS_QUIZ right (or wrong)."""
    good = {
        "farbe": {"q-farbe": ["0"]},
        "merkmale": {"q-merkmale": ["0", "1"]},
        "begriff": {"q-begriff": ["Phishing"]},
        "zettel": {"q-zettel": ["false"]},
    }
    bad = {
        "farbe": {"q-farbe": ["2"]},
        "merkmale": {"q-merkmale": ["2"]},
        "begriff": {"q-begriff": ["Spam"]},
        "zettel": {"q-zettel": ["true"]},
    }
    form: dict[str, list[str]] = {}
    for item in drawn:
        form.update((good if right else bad)[item.question.id])
    return form


def test_answers_are_graded_once_and_the_certificate_stays(db, setup):
    version, company, _learner, completion = setup
    (due,) = open_for(db, company, date(2026, 3, 10))
    drawn = refreshers.draw(version, completion.id, 0, "de")
    form = answers_for(drawn)
    form[f"q-{drawn[0].question.id}"] = answers_for(drawn, right=False)[f"q-{drawn[0].question.id}"]
    entered = refreshers.form_fields(drawn, form)
    before = (completion.code, completion.valid_until, completion.completed_at)
    at = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    done = refreshers.answer(db, due, version, "de", entered, at)
    assert done is not None
    assert (done.correct, done.questions, done.answered_at) == (2, 3, at)
    assert [a.correct for a in done.answers] == [False, True, True]
    # A second submit (another tab) changes nothing.
    assert refreshers.answer(db, due, version, "de", entered, at) is None
    assert db.scalar(select(func.count()).select_from(RefresherAnswer)) == 3
    assert open_for(db, company, date(2026, 3, 10)) == []
    db.refresh(completion)
    assert (completion.code, completion.valid_until, completion.completed_at) == before
    assert db.scalar(select(func.count()).select_from(QuizAttempt)) == 0


def test_a_skipped_refresher_is_not_offered_again(db, setup):
    version, company, _learner, _completion = setup
    (due,) = open_for(db, company, date(2026, 3, 9))
    assert refreshers.skip(db, due, "de", COMPLETED + timedelta(days=7)) is not None
    assert open_for(db, company, date(2026, 3, 10)) == []
    assert refreshers.answer(db, due, version, "de", {}, COMPLETED) is None
    (later,) = open_for(db, company, date(2026, 4, 1))
    assert later.step == 1


# --- Item statistics --------------------------------------------------------------------------


def test_refresher_answers_count_in_facility_but_not_in_discrimination(db, setup):
    version, company, _learner, _completion = setup
    for answers in QUIZ_ATTEMPTS:
        add_attempt(db, version, company, answers)
    before = {i.question.id: i for i in item_stats.item_statistics(db, version.id, "check")}
    # Two learners answer their refreshers: one all right, one all wrong.
    for right in (True, False):
        learner = make_user(db, company)
        completion = complete(db, version, learner)
        due = next(d for d in open_for(db, company, date(2026, 3, 9), learner))
        drawn = refreshers.draw(version, completion.id, 0, "de")
        form = answers_for(drawn, right)
        refreshers.answer(db, due, version, "de", refreshers.form_fields(drawn, form), COMPLETED)
    asked = db.execute(select(RefresherAnswer.question_id, RefresherAnswer.correct)).all()
    assert len(asked) == 6 and sum(correct for _q, correct in asked) == 3
    after = {i.question.id: i for i in item_stats.item_statistics(db, version.id, "check")}
    for question_id in after:
        extra = sum(1 for q, _correct in asked if q == question_id)
        extra_right = sum(1 for q, correct in asked if q == question_id and correct)
        assert after[question_id].attempts == before[question_id].attempts + extra
        assert after[question_id].refresher_answers == extra
        right_before = round(before[question_id].facility * 6)
        assert after[question_id].facility == pytest.approx(
            (right_before + extra_right) / (6 + extra)
        )
        assert after[question_id].discrimination == before[question_id].discrimination


def test_a_refresher_answer_is_counted_once_in_its_transaction(db, setup, count_queries):
    from tests.unit.test_item_stats import stored

    version, company, learner, completion = setup
    for answers in QUIZ_ATTEMPTS[:5]:
        add_attempt(db, version, company, answers)
    first = item_stats.quiz_statistics(db, version.id, "check")
    (due,) = open_for(db, company, date(2026, 3, 9), learner)
    drawn = refreshers.draw(version, completion.id, 0, "de")
    entered = refreshers.form_fields(drawn, answers_for(drawn))
    count_queries.statements.clear()
    refreshers.answer(db, due, version, "de", entered, COMPLETED, drawn)
    upserts = [s for s in count_queries.statements if s.startswith("INSERT INTO item_stats")]
    assert len(upserts) == 1  # one statement for all questions
    again = item_stats.quiz_statistics(db, version.id, "check")
    asked = {d.question.id for d in drawn}
    for old, new in zip(first.items, again.items, strict=True):
        assert new.attempts == old.attempts + (1 if old.question.id in asked else 0)
    assert stored(db, version.id) == item_stats.recounted(db, version.id, "check")
    # A second submit (another tab) writes nothing and counts nothing.
    assert refreshers.answer(db, due, version, "de", entered, COMPLETED, drawn) is None
    assert stored(db, version.id) == item_stats.recounted(db, version.id, "check")


# --- The reminder mail -------------------------------------------------------------------------


def test_the_reminder_mail_names_the_refresher_once(app, db, setup):
    _version, company, learner, _completion = setup
    company.default_language = "en"
    db.flush()
    links = reminders.Links("https://lernen.example.de/learn/", "https://lernen.example.de/team/")
    on_the_day = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)
    with app.app_context():
        assert reminders.send_reminders(db, on_the_day - timedelta(days=1), links).mails == []
        summary = reminders.send_reminders(db, on_the_day, links)
        (mail,) = summary.mails
        assert mail.to == learner.email
        assert "1 short refresher is waiting for you:" in mail.body
        assert "Testkurs: a few questions to refresh what you learned" in mail.body
        assert summary.sent["refresher"] == 1
        assert reminders.send_reminders(db, on_the_day + timedelta(hours=6), links).mails == []
        learner.is_active = False
        db.flush()
        db.execute(Refresher.__table__.delete())
        assert (
            reminders.send_reminders(db, datetime(2026, 4, 1, 6, 0, tzinfo=UTC), links).mails == []
        )


def test_a_newer_version_without_refresh_ends_them(app, db, setup, tmp_path):
    version, company, learner, _completion = setup
    folder = write_course(
        tmp_path / "v2",
        {"course.md": COURSE_MD, "02-check.md": quiz(STATS_QUIZ)},
        slug="auffrischkurs",
    )
    with app.test_request_context():
        newer = import_course(db, folder, COMPLETED).version
    assert newer is not None and newer.refresh is None and newer.number == version.number + 1
    complete(db, newer, learner, at=COMPLETED + timedelta(days=1))
    assert open_for(db, company, date(2026, 3, 10)) == []
    assert open_for(db, company, date(2026, 4, 2)) == []


def test_the_same_questions_in_every_language(app, db, tmp_path):
    blocks = ["## " + b for b in STATS_QUIZ.split("## ") if b.strip()]
    english = "".join(reversed([b.replace("## ", "## EN ", 1) for b in blocks]))
    folder = write_course(
        tmp_path,
        {
            "course.md": REFRESH_MD,
            "02-check.md": quiz(STATS_QUIZ),
            "02-check.en.md": quiz(english),
        },
        slug="zweisprachig",
    )
    with app.test_request_context():
        outcome = import_course(db, folder, COMPLETED)
    assert outcome.version is not None, outcome.problems
    for completion_id in range(1, 40):
        for step in (0, 1):
            german = refreshers.draw(outcome.version, completion_id, step, "de")
            english_drawn = refreshers.draw(outcome.version, completion_id, step, "en")
            assert [d.question.id for d in german] == [d.question.id for d in english_drawn]
    assert all("EN " in d.public["prompt_html"] for d in english_drawn)


def test_refresher_answer_ids_are_never_used_again(db, setup):
    version, company, _learner, completion = setup
    (due,) = open_for(db, company, date(2026, 3, 9))
    drawn = refreshers.draw(version, completion.id, 0, "de")
    first = refreshers.answer(
        db, due, version, "de", refreshers.form_fields(drawn, answers_for(drawn)), COMPLETED
    )
    db.flush()
    highest = max(a.id for a in first.answers)
    db.delete(first)
    db.flush()
    again = refreshers.answer(
        db, due, version, "de", refreshers.form_fields(drawn, answers_for(drawn)), COMPLETED
    )
    db.flush()
    assert min(a.id for a in again.answers) > highest
