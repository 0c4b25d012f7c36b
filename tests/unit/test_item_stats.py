"""Item statistics of a knowledge check, on answers whose figures are worked out by hand."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.content.importer import import_course
from lms.models import AttemptAnswer, Company, Enrollment, ItemStat, QuizAttempt
from lms.services import item_stats
from lms.services.item_stats import (
    MIN_ATTEMPTS,
    Flag,
    WrongAnswer,
    item_statistics,
    point_biserial,
    quiz_statistics,
)
from tests.factories import make_company, make_user
from tests.unit.test_course_parser import quiz, write_course

STATS_QUIZ = """\
## Welche Farbe hat ein Feuerlöscher? {#farbe}
- (x) Rot
- ( ) Blau
- ( ) Grün

## Was gehört zu Phishing? {#merkmale}
- [x] Zeitdruck
- [x] Falscher Absender
- [ ] Korrekte Anrede

## Wie heißt der Betrug? {#begriff}
answer: Phishing

## Ein Passwort darf am Monitor kleben. {#zettel}
answer: falsch
"""

# Six submitted attempts, one point per question. Per attempt: the form fields
# saved for each question and whether the answer was correct (1) or not (0).
#
#        farbe          merkmale     begriff        zettel      total
# A1  Rot      1   [0, 1]  1   "Phishing"  1   "true"   0     3
# A2  Rot      1   [1, 0]  1   "Fishing"   0   "false"  1     3
# A3  Rot      1   [0, 1]  1   "fishing "  0   "false"  1     3
# A4  Blau     0   [0, 1]  1   "Spam"      0   "false"  1     2
# A5  Blau     0   [0, 1]  1   (nothing)   0   "false"  1     2
# A6  Grün     0   [0, 1]  1   "Fishing"   0   "true"   0     1
# fmt: off
ATTEMPTS = [
    {"farbe": ("0", 1), "merkmale": (["0", "1"], 1), "begriff": ("Phishing", 1), "zettel": ("true", 0)},
    {"farbe": ("0", 1), "merkmale": (["1", "0"], 1), "begriff": ("Fishing", 0), "zettel": ("false", 1)},
    {"farbe": ("0", 1), "merkmale": (["0", "1"], 1), "begriff": ("fishing ", 0), "zettel": ("false", 1)},
    {"farbe": ("1", 0), "merkmale": (["0", "1"], 1), "begriff": ("Spam", 0), "zettel": ("false", 1)},
    {"farbe": ("1", 0), "merkmale": (["0", "1"], 1), "begriff": (None, 0), "zettel": ("false", 1)},
    {"farbe": ("2", 0), "merkmale": (["0", "1"], 1), "begriff": ("Fishing", 0), "zettel": ("true", 0)},
]
# fmt: on
QUESTIONS = ("farbe", "merkmale", "begriff", "zettel")
LEARNER_NAME = "Zacharias Unverwechselbar"


@pytest.fixture
def stats_quiz(app, db, tmp_path):
    """The course imported, and a company with learners enrolled on it."""
    folder = write_course(tmp_path, {"02-check.md": quiz(STATS_QUIZ)}, slug="statskurs")
    with app.test_request_context():
        version = import_course(db, folder, datetime.now(UTC)).version
    company = make_company(db)
    return version, company


def add_attempt(db, version, company, answers, *, status="submitted", unit_id="check", name=None):
    """One attempt of a new learner with its graded answers, counted in the item
    statistics when submitted (as `quizzes.submit` stores them)."""
    learner = make_user(db, company, name=name or LEARNER_NAME, email=None)
    enrollment = Enrollment(
        company_id=company.id,
        user_id=learner.id,
        course_id=version.course_id,
        version_id=version.id,
    )
    db.add(enrollment)
    db.flush()
    total = sum(correct for _value, correct in answers.values())
    attempt = QuizAttempt(
        company_id=company.id,
        user_id=learner.id,
        enrollment_id=enrollment.id,
        version_id=version.id,
        unit_id=unit_id,
        language="de",
        number=1,
        status=status,
        submitted_at=datetime.now(UTC) if status == "submitted" else None,
        layout=[{"id": qid} for qid in answers],
        responses={},
        score=Decimal(total),
        max_score=Decimal(len(answers)),
        percent=Decimal(100 * total / len(answers)),
        passed=total == len(answers),
    )
    db.add(attempt)
    db.flush()
    for position, (qid, (value, correct)) in enumerate(answers.items()):
        db.add(
            AttemptAnswer(
                attempt_id=attempt.id,
                question_id=qid,
                position=position,
                response={} if value is None else {f"q-{qid}": value},
                score=Decimal(correct),
                max_score=Decimal(1),
                correct=bool(correct),
                answered=value is not None,
            )
        )
    db.flush()
    if status == "submitted":
        item_stats.count_hand_in(
            db,
            version.id,
            unit_id,
            attempt.score,
            [
                (qid, {} if value is None else {f"q-{qid}": value}, bool(correct), Decimal(correct))
                for qid, (value, correct) in answers.items()
            ],
        )
    return attempt


@pytest.fixture
def six_attempts(db, stats_quiz):
    version, company = stats_quiz
    for answers in ATTEMPTS:
        add_attempt(db, version, company, answers)
    return version


def by_id(items):
    return {item.question.id: item for item in items}


def test_facility_and_discrimination_match_the_hand_computed_figures(db, six_attempts):
    items = by_id(item_statistics(db, six_attempts.id, "check"))
    assert list(items) == list(QUESTIONS)
    assert all(item.attempts == 6 and not item.too_few for item in items.values())

    # farbe: x = 1,1,1,0,0,0 → facility 3/6. Rest score y = total − x = 2,2,2,2,2,1.
    # n = 6, Σx = 3, Σy = 11, Σxy = 2+2+2 = 6, Σy² = 4+4+4+4+4+1 = 21.
    # r = (6·6 − 3·11) / √((6·3 − 3²)·(6·21 − 11²)) = 3 / √(9·5) = 3 / √45
    farbe = items["farbe"]
    assert farbe.facility == pytest.approx(0.5)
    assert farbe.discrimination == pytest.approx(3 / math.sqrt(45), abs=1e-3)  # 0.447
    assert farbe.flags == ()

    # merkmale: everyone right → facility 1, x does not vary: no correlation.
    merkmale = items["merkmale"]
    assert merkmale.facility == 1.0
    assert merkmale.discrimination is None
    assert merkmale.flags == (Flag.TOO_EASY,)

    # begriff: x = 1,0,0,0,0,0 → facility 1/6. y = 2,3,3,2,2,1.
    # n = 6, Σx = 1, Σy = 13, Σxy = 2, Σy² = 4+9+9+4+4+1 = 31.
    # r = (6·2 − 1·13) / √((6·1 − 1²)·(6·31 − 13²)) = −1 / √(5·17) = −1 / √85
    begriff = items["begriff"]
    assert begriff.facility == pytest.approx(1 / 6)
    assert begriff.discrimination == pytest.approx(-1 / math.sqrt(85), abs=1e-3)  # −0.108
    assert begriff.flags == (Flag.TOO_HARD, Flag.NEGATIVE_DISCRIMINATION)

    # zettel: x = 0,1,1,1,1,0 → facility 4/6. y = 3,2,2,1,1,1.
    # n = 6, Σx = 4, Σy = 10, Σxy = 2+2+1+1 = 6, Σy² = 9+4+4+1+1+1 = 20.
    # r = (6·6 − 4·10) / √((6·4 − 4²)·(6·20 − 10²)) = −4 / √(8·20) = −4 / √160
    zettel = items["zettel"]
    assert zettel.facility == pytest.approx(4 / 6)
    assert zettel.discrimination == pytest.approx(-4 / math.sqrt(160), abs=1e-3)  # −0.316
    assert zettel.flags == (Flag.NEGATIVE_DISCRIMINATION,)


def test_the_formula_from_sums_is_pearsons_r():
    x = [1, 1, 1, 0, 0, 0]
    y = [2.0, 2.0, 2.0, 2.0, 2.0, 1.0]
    mean_x, mean_y = sum(x) / 6, sum(y) / 6
    covariance = sum((a - mean_x) * (b - mean_y) for a, b in zip(x, y, strict=True))
    spread = math.sqrt(sum((a - mean_x) ** 2 for a in x) * sum((b - mean_y) ** 2 for b in y))
    assert point_biserial(6, 3, 11, 6, 21) == pytest.approx(covariance / spread)
    assert point_biserial(6, 3, 12, 6, 24) is None  # every rest score the same
    assert point_biserial(6, 0, 11, 0, 21) is None  # nobody right


def test_choices_are_counted_per_choice(db, six_attempts):
    items = by_id(item_statistics(db, six_attempts.id, "check"))
    farbe = [(c.text, c.correct, c.count) for c in items["farbe"].choices]
    assert farbe == [("Rot", True, 3), ("Blau", False, 2), ("Grün", False, 1)]
    assert [c.share for c in items["farbe"].choices] == pytest.approx([0.5, 2 / 6, 1 / 6])
    # Multiple choice: an attempt counts for each choice it picked (in any order).
    merkmale = [(c.text, c.correct, c.count) for c in items["merkmale"].choices]
    assert merkmale == [("Zeitdruck", True, 6), ("Falscher Absender", True, 6),
                        ("Korrekte Anrede", False, 0)]  # fmt: skip
    zettel = [(c.text, c.correct, c.count) for c in items["zettel"].choices]
    assert zettel == [("true", False, 2), ("false", True, 4)]
    assert items["begriff"].choices == ()  # typed answers have no choices


def test_wrong_answers_are_ranked_and_readable(db, six_attempts):
    items = by_id(item_statistics(db, six_attempts.id, "check"))
    # Choice ids become the choices' texts.
    assert items["farbe"].wrong_answers == (WrongAnswer("Blau", 2), WrongAnswer("Grün", 1))
    # Typed answers differing only in case and spacing count together; "" is no answer;
    # equal counts in alphabetical order.
    assert items["begriff"].wrong_answers == (
        WrongAnswer("Fishing", 3),
        WrongAnswer("", 1),
        WrongAnswer("Spam", 1),
    )
    assert items["zettel"].wrong_answers == (WrongAnswer("true", 2),)
    assert items["merkmale"].wrong_answers == ()


def test_only_the_top_three_wrong_answers_are_given(db, stats_quiz):
    version, company = stats_quiz
    for typed in ("a", "a", "a", "b", "b", "c", "d"):
        add_attempt(db, version, company, {"begriff": (typed, 0)})
    (begriff,) = [i for i in item_statistics(db, version.id, "check") if i.question.id == "begriff"]
    assert begriff.wrong_answers == (WrongAnswer("a", 3), WrongAnswer("b", 2), WrongAnswer("c", 1))


def test_figures_appear_from_five_attempts_on(db, stats_quiz):
    version, company = stats_quiz
    for answers in ATTEMPTS[:4]:
        add_attempt(db, version, company, answers)
    items = item_statistics(db, version.id, "check")
    assert MIN_ATTEMPTS == 5
    for item in items:
        assert item.too_few and item.attempts == 4
        assert item.facility is None and item.discrimination is None
        assert item.wrong_answers == () and item.choices == () and item.flags == ()
    # A fifth attempt that drew only two of the questions (a quiz may draw).
    add_attempt(db, version, company, {q: ATTEMPTS[4][q] for q in ("farbe", "zettel")})
    items = by_id(item_statistics(db, version.id, "check"))
    assert [items[q].too_few for q in QUESTIONS] == [False, True, True, False]
    assert items["farbe"].attempts == 5 and items["merkmale"].attempts == 4
    assert items["farbe"].facility == pytest.approx(3 / 5)


def test_only_submitted_attempts_of_the_version_and_unit_count(db, six_attempts):
    version = six_attempts
    company = make_company(db)
    # Not handed in, or of another unit: the same answers must not change anything.
    add_attempt(db, version, company, ATTEMPTS[0], status="open")
    add_attempt(db, version, company, ATTEMPTS[0], unit_id="einstieg")
    assert quiz_statistics(db, version.id, "check").attempts == 6
    assert {i.attempts for i in item_statistics(db, version.id, "check")} == {6}
    assert item_statistics(db, version.id + 1000, "check") == []
    assert quiz_statistics(db, version.id + 1000, "check").attempts == 0
    assert item_statistics(db, version.id, "einstieg") == []  # a lesson has no questions


def test_the_figures_are_read_from_a_few_summary_rows(db, six_attempts, count_queries):
    """The page reads the unit's rows (one per distinct answer), never the answers."""
    version = six_attempts
    count_queries.statements.clear()
    statistics = quiz_statistics(db, version.id, "check")
    assert statistics.attempts == 6
    assert len(count_queries.statements) <= 3  # the version, the attempts counted, the rows
    assert not [s for s in count_queries.statements if "answers" in s.split("FROM", 1)[-1]]
    # farbe 3, merkmale 2, begriff 5, zettel 2 groups of equal answers: 12 rows for 24.
    rows = db.scalars(select(ItemStat).where(ItemStat.version_id == version.id)).all()
    assert len(rows) == 12 and sum(r.answers for r in rows) == 24


def test_no_learner_is_named(db, six_attempts):
    items = item_statistics(db, six_attempts.id, "check")
    text = repr(items)
    assert LEARNER_NAME not in text and "@example.com" not in text
    fields = {name for item in items for name in vars(item)}
    assert not {"user_id", "attempt_id", "enrollment_id", "company_id"} & fields


def same_figures(kept, fresh):
    """Two sets of statistics agree, figure by figure."""
    assert [
        (i.question.id, i.attempts, i.facility, i.discrimination, i.wrong_answers, i.choices)
        for i in kept
    ] == [
        (i.question.id, i.attempts, i.facility, i.discrimination, i.wrong_answers, i.choices)
        for i in fresh
    ]


def stored(db, version_id, unit_id="check"):
    """The unit's summary rows as the database holds them now (columns, not objects
    the session may keep), keyed as `item_stats.recounted` gives them."""
    rows = db.execute(
        select(
            ItemStat.question_id, ItemStat.correct, ItemStat.response, ItemStat.answers,
            ItemStat.refresher_answers, ItemStat.rest_cents, ItemStat.rest_cents_squared,
        ).where(ItemStat.version_id == version_id, ItemStat.unit_id == unit_id)
    )  # fmt: skip
    return {
        (version_id, unit_id, question_id, correct, response): item_stats.Counted(*sums)
        for question_id, correct, response, *sums in rows
    }


def test_the_rows_kept_by_hand_ins_match_a_count_from_the_answers(db, six_attempts):
    version = six_attempts
    add_attempt(db, version, make_company(db), ATTEMPTS[3])
    assert stored(db, version.id) == item_stats.recounted(db, version.id, "check")
    # The hand-computed sums of farbe (see the first test): Σy = 11 + 2, Σy² = 21 + 4.
    farbe = [c for key, c in stored(db, version.id).items() if key[2] == "farbe"]
    assert sum(c.answers for c in farbe) == 7
    assert sum(c.rest_cents for c in farbe) == 1300
    assert sum(c.rest_cents_squared for c in farbe) == 25 * 100 * 100


def test_a_recount_gives_the_figures_of_the_answers_as_graded_now(db, six_attempts):
    """What a regrade calls after changing grades: the unit's rows again from its answers."""
    version = six_attempts
    before = item_statistics(db, version.id, "check")
    # "fishing " is accepted after all (as a regrade would decide): one more right.
    answer = next(
        a
        for a in db.scalars(select(AttemptAnswer).where(AttemptAnswer.question_id == "begriff"))
        if a.response == {"q-begriff": "fishing "}
    )
    answer.correct, answer.score = True, Decimal(1)
    answer.attempt.score += 1
    db.flush()
    assert item_statistics(db, version.id, "check") == before  # nothing counted it yet
    item_stats.recount(db, version.id, "check")
    begriff = by_id(item_statistics(db, version.id, "check"))["begriff"]
    assert begriff.facility == pytest.approx(2 / 6)
    assert WrongAnswer("Fishing", 2) in begriff.wrong_answers
    assert stored(db, version.id) == item_stats.recounted(db, version.id, "check")


def test_an_erasure_moves_the_persons_answers_to_no_answer(db, stats_quiz):
    from lms.models import User
    from lms.services import erasure

    version, company = stats_quiz
    attempts = [add_attempt(db, version, company, answers) for answers in ATTEMPTS]
    before = by_id(item_statistics(db, version.id, "check"))
    assert WrongAnswer("Spam", 1) in before["begriff"].wrong_answers
    erasure.erase_person(db, db.get(User, attempts[3].user_id), datetime.now(UTC))
    db.flush()
    after = by_id(item_statistics(db, version.id, "check"))
    # Still counted, as right or wrong as before, but without what was answered.
    assert after["begriff"].wrong_answers == (WrongAnswer("Fishing", 3), WrongAnswer("", 2))
    assert [c.count for c in after["farbe"].choices] == [3, 1, 1]  # Blau once less
    for question_id in QUESTIONS:
        assert after[question_id].attempts == 6
        assert after[question_id].facility == before[question_id].facility
        assert after[question_id].discrimination == before[question_id].discrimination
    assert stored(db, version.id) == item_stats.recounted(db, version.id, "check")
    # No row keeps the erased typed answer.
    assert not [r for r in db.scalars(select(ItemStat.response)) if "Spam" in r]


def test_a_second_instance_reads_the_same_figures_at_once(tmp_path):
    """Two apps on one database, as two servers behind a load balancer: what one hands
    in, the other counts at its next read, with nothing to forget or wait for."""
    from lms.models import CourseVersion
    from tests.conftest import database_of_its_own, make_test_app, reset_database

    with database_of_its_own(tmp_path) as url:
        first = make_test_app(tmp_path, DATABASE_URL=url)
        reset_database(first)
        second = make_test_app(tmp_path, DATABASE_URL=url)
        on_first, on_second = first.extensions["db"], second.extensions["db"]
        folder = write_course(tmp_path, {"02-check.md": quiz(STATS_QUIZ)}, slug="statskurs")
        try:
            with first.test_request_context(), on_first.begin() as session:
                version = import_course(session, folder, datetime.now(UTC)).version
                company = make_company(session)
                for answers in ATTEMPTS[:5]:
                    add_attempt(session, version, company, answers)
                ids = version.id, company.id
            with second.app_context(), on_second.begin() as session:
                seen = quiz_statistics(session, ids[0], "check")
            assert seen.attempts == 5 and {i.attempts for i in seen.items} == {5}
            with first.app_context(), on_first.begin() as session:
                version = session.get(CourseVersion, ids[0])
                add_attempt(session, version, session.get(Company, ids[1]), ATTEMPTS[5])
            with second.app_context(), on_second.begin() as session:
                again = by_id(quiz_statistics(session, ids[0], "check").items)
                expected = by_id(item_statistics(session, ids[0], "check"))
            assert again["farbe"].facility == pytest.approx(0.5)
            assert again["farbe"].discrimination == pytest.approx(3 / math.sqrt(45), abs=1e-3)
            assert again["begriff"].wrong_answers[0] == WrongAnswer("Fishing", 3)
            same_figures(again.values(), expected.values())
        finally:
            on_first.engine.dispose()
            on_second.engine.dispose()


def test_two_hand_ins_adding_the_same_new_group_at_once_both_count(tmp_path):
    """The second upsert waits for the first's row (or SQLite's write lock) and adds to
    it: neither fails on the new row's key."""
    from tests.conftest import database_of_its_own, make_test_app, reset_database

    with database_of_its_own(tmp_path) as url:
        app = make_test_app(tmp_path, DATABASE_URL=url)
        reset_database(app)
        database = app.extensions["db"]
        folder = write_course(tmp_path, {"02-check.md": quiz(STATS_QUIZ)}, slug="statskurs")
        with app.test_request_context(), database.begin() as session:
            version_id = import_course(session, folder, datetime.now(UTC)).version.id
        answer = [("begriff", {"q-begriff": "Pfishing"}, False, Decimal(0))]
        failed = []

        def other_hand_in():
            try:
                with database.begin() as session:
                    item_stats.count_hand_in(session, version_id, "check", Decimal(2), answer)
            except Exception as error:  # reported below
                failed.append(error)

        try:
            other = threading.Thread(target=other_hand_in)
            with database.begin() as session:
                item_stats.count_hand_in(session, version_id, "check", Decimal(3), answer)
                other.start()
                other.join(0.2)  # give it the time to run into our row or lock
            other.join()
            assert failed == []
            with database.begin() as session:
                (row,) = session.scalars(select(ItemStat))
                assert (row.answers, row.rest_cents, row.rest_cents_squared) == (
                    2, 300 + 200, 300 * 300 + 200 * 200
                )  # fmt: skip
        finally:
            database.engine.dispose()
