"""Item statistics of a knowledge check, on answers whose figures are worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from lms.content.importer import import_course
from lms.models import AttemptAnswer, Enrollment, QuizAttempt
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
    """One attempt of a new learner with its graded answers (as `quizzes.submit` stores them)."""
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


def test_statistics_are_kept_until_an_attempt_is_handed_in(db, six_attempts, count_queries):
    version, company = six_attempts, make_company(db)
    first = quiz_statistics(db, version.id, "check")
    count_queries.statements.clear()
    assert quiz_statistics(db, version.id, "check") is first
    assert len(count_queries.statements) == 1  # the revision only
    add_attempt(db, version, company, ATTEMPTS[0])
    again = quiz_statistics(db, version.id, "check")
    assert again.attempts == 7 and {i.attempts for i in again.items} == {7}
    assert again.items[0].facility == pytest.approx(4 / 7)


def test_no_learner_is_named(db, six_attempts):
    items = item_statistics(db, six_attempts.id, "check")
    text = repr(items)
    assert LEARNER_NAME not in text and "@example.com" not in text
    fields = {name for item in items for name in vars(item)}
    assert not {"user_id", "attempt_id", "enrollment_id", "company_id"} & fields


def same_figures(kept, fresh):
    """The kept statistics equal a fresh aggregate over everything, figure by figure."""
    assert [
        (i.question.id, i.attempts, i.facility, i.discrimination, i.wrong_answers, i.choices)
        for i in kept.items
    ] == [
        (i.question.id, i.attempts, i.facility, i.discrimination, i.wrong_answers, i.choices)
        for i in fresh
    ]


def test_after_a_hand_in_only_the_new_attempt_is_aggregated(db, six_attempts, count_queries):
    version, company = six_attempts, make_company(db)
    quiz_statistics(db, version.id, "check")
    added = add_attempt(db, version, company, ATTEMPTS[3])
    count_queries.statements.clear()
    again = quiz_statistics(db, version.id, "check")
    grouped = [s for s in count_queries.statements if "GROUP BY" in s]
    assert len(grouped) == 1 and " IN (" in grouped[0]  # the new attempt only
    looked_up = [s for s in count_queries.statements if "quiz_attempts.id, CAST" in s]
    assert len(looked_up) == 1 and "submitted_at >=" in looked_up[0]  # the lately handed in
    assert again.attempts == 7
    same_figures(again, item_statistics(db, version.id, "check"))
    # A removed attempt: everything again, and right.
    db.delete(added)
    db.flush()
    same_figures(quiz_statistics(db, version.id, "check"), item_statistics(db, version.id, "check"))


def test_a_hand_in_during_the_aggregate_is_never_counted_twice(db, six_attempts, monkeypatch):
    from lms.services import item_stats

    version, company = six_attempts, make_company(db)
    aggregate = item_stats._aggregate

    def with_a_hand_in_meanwhile(*args):
        add_attempt(db, version, company, ATTEMPTS[0])
        return aggregate(*args)

    monkeypatch.setattr(item_stats, "_aggregate", with_a_hand_in_meanwhile)
    first = quiz_statistics(db, version.id, "check")
    monkeypatch.setattr(item_stats, "_aggregate", aggregate)
    assert first.items[0].attempts == 7  # the aggregate saw it
    add_attempt(db, version, company, ATTEMPTS[1])
    kept = quiz_statistics(db, version.id, "check")
    assert kept.attempts == 8 and kept.items[0].attempts == 8
    same_figures(kept, item_statistics(db, version.id, "check"))


def test_an_attempt_committed_late_is_found_all_the_same(db, six_attempts):
    from datetime import timedelta

    version, company = six_attempts, make_company(db)
    quiz_statistics(db, version.id, "check")
    late = add_attempt(db, version, company, ATTEMPTS[4])
    late.submitted_at = datetime.now(UTC) - timedelta(hours=1)  # before what was kept
    db.flush()
    kept = quiz_statistics(db, version.id, "check")
    assert kept.attempts == 7
    same_figures(kept, item_statistics(db, version.id, "check"))


def test_an_erasure_in_another_process_reaches_the_kept_figures(db, stats_quiz):
    from lms.models import User
    from lms.services import erasure, item_stats

    version, company = stats_quiz
    attempts = [add_attempt(db, version, company, answers) for answers in ATTEMPTS]
    before = quiz_statistics(db, version.id, "check")
    begriff = next(i for i in before.items if i.question.id == "begriff")
    assert "Spam" in [w.text for w in begriff.wrong_answers]
    other_process = dict(item_stats._CACHE)  # what another worker keeps
    erasure.erase_person(db, db.get(User, attempts[3].user_id), datetime.now(UTC))
    db.flush()
    item_stats._CACHE.update(other_process)
    add_attempt(db, version, company, ATTEMPTS[0])
    after = quiz_statistics(db, version.id, "check")
    begriff = next(i for i in after.items if i.question.id == "begriff")
    assert "Spam" not in [w.text for w in begriff.wrong_answers]
    same_figures(after, item_statistics(db, version.id, "check"))
