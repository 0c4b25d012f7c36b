"""Handing in a knowledge check, the learner's costliest request: its statements (issue 4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from lms.models import AttemptAnswer, Completion, Enrollment, QuizAttempt
from lms.services import item_stats, quizzes
from tests.web.test_quiz import CHECK, answer_all, form_for_page, learner, publish, start

__all__ = ["learner", "publish"]  # fixtures


def test_handing_in_writes_all_answers_with_one_statement(client, learner, count_queries):
    url = start(client)
    assert url == f"{CHECK}/attempts/1"
    # Everything but the final POST; then count the statements of handing in.
    original_post = client.post

    def counted_post(*args, **kwargs):
        if kwargs.get("data", {}).get("action") == "submit":
            count_queries.statements.clear()
        return original_post(*args, **kwargs)

    client.post = counted_post
    response = answer_all(client, url)
    assert response.location == f"{CHECK}/attempts/1/result"
    statements = [" ".join(s.split()) for s in count_queries.statements]
    inserts = [s for s in statements if s.startswith("INSERT INTO attempt_answers")]
    assert len(inserts) == 1, statements
    # Reading: the user; the attempt with its enrolment (then graded). Writing: the
    # attempt's state and the enrolment's as they are now; the conditional update
    # that stores the last page, the hand-in and the score at once; answers,
    # learning records; the unit recorded as passed (an insert unless recorded in
    # this round) and the progress read for the completion; the item statistics,
    # one upsert for all questions.
    assert len(statements) == 9, "\n".join(statements)
    assert statements[2].startswith("SELECT quiz_attempts.status, quiz_attempts.responses")
    assert statements[3].startswith("UPDATE quiz_attempts SET status=")  # ? or %(status)s
    assert statements[-1].startswith("INSERT INTO item_stats") and "ON CONFLICT" in statements[-1]


def test_a_hand_in_counts_in_the_item_statistics_once_and_at_once(client, db, learner):
    from tests.unit.test_item_stats import stored

    answer_all(client, start(client))
    attempt = db.scalar(select(QuizAttempt))
    statistics = item_stats.quiz_statistics(db, attempt.version_id, "check")
    assert statistics.attempts == 1 and statistics.items
    assert all(i.attempts == 1 and i.too_few for i in statistics.items)
    rows = stored(db, attempt.version_id)
    assert rows == item_stats.recounted(db, attempt.version_id, "check")
    assert len(rows) == len(statistics.items) and all(key[3] for key in rows)  # all right
    # Handed in again (another tab): nothing more is counted.
    assert quizzes.submit(db, attempt, datetime.now(UTC)) is False
    assert stored(db, attempt.version_id) == rows


def test_handing_in_records_every_answer_and_the_verdict(client, db, learner):
    from sqlalchemy import select

    from lms.models import AttemptAnswer, LearningRecord

    answer_all(client, start(client))
    answers = db.scalars(select(AttemptAnswer).order_by(AttemptAnswer.position)).all()
    records = db.scalars(select(LearningRecord).where(LearningRecord.unit == "check")).all()
    answered = {r.question: r for r in records if r.verb == "answered"}
    assert [a.position for a in answers] == list(range(len(answers)))
    assert set(answered) == {a.question_id for a in answers}
    for answer in answers:
        result = answered[answer.question_id].result
        assert result["success"] is answer.correct
        assert result["score"]["raw"] == float(answer.score)
    (verdict,) = [r for r in records if r.verb in ("passed", "failed")]
    assert verdict.verb == "passed" and verdict.question is None
    assert {r.version for r in records} == {1} and {r.course for r in records} == {"testkurs"}


def _graded_before_writing(client, db):
    """An attempt with its first page saved, graded with the last page answered
    right, as the view grades it before its write transaction."""
    url = start(client)
    _page, first = form_for_page(client, url)
    client.post(url, data={**first, "page": "1", "action": "next"})
    _page, last = form_for_page(client, f"{url}?page=2")
    attempt = db.scalar(select(QuizAttempt))
    form = {name: value if isinstance(value, list) else [value] for name, value in last.items()}
    return attempt, quizzes.grade(attempt, 2, form)


def test_a_hand_in_after_another_window_saved_is_refused_and_changes_nothing(client, db, learner):
    """Another tab saved the first page after the hand-in graded: the last page was
    shown before that save, so it hands in nothing (issue 16: two tabs)."""
    attempt, grading = _graded_before_writing(client, db)
    assert grading.result.percent == 100
    quizzes.save_page(db, attempt, 1, {})  # another tab empties the first page meanwhile
    saved = (attempt.sequence, attempt.responses)
    with pytest.raises(quizzes.AttemptChanged):
        quizzes.submit(db, attempt, datetime.now(UTC), grading)
    assert attempt.status == "open" and (attempt.sequence, attempt.responses) == saved
    assert db.scalar(select(func.count()).select_from(AttemptAnswer)) == 0


def test_a_hand_in_grades_the_responses_saved_when_it_writes(client, db, learner):
    """Responses changed without a save (the person's answers erased meanwhile): the
    hand-in grades what is stored when it writes, with its last page."""
    attempt, grading = _graded_before_writing(client, db)
    assert grading.result.percent == 100
    first_page = [entry["id"] for entry in quizzes.page_entries(attempt, 1)]
    db.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id)
        .values(responses={})
        .execution_options(synchronize_session=False)
    )
    assert quizzes.submit(db, attempt, datetime.now(UTC), grading)
    assert attempt.percent < 100 and not attempt.passed
    assert {qid: attempt.responses[qid] for qid in grading.last_page} == grading.last_page
    assert not any(attempt.responses.get(qid) for qid in first_page)
    answered = dict(db.execute(select(AttemptAnswer.question_id, AttemptAnswer.answered)).all())
    assert not any(answered[qid] for qid in first_page)
    assert all(answered[qid] for qid in grading.last_page)


def test_a_hand_in_after_another_changes_nothing(client, db, learner):
    attempt, grading = _graded_before_writing(client, db)
    assert quizzes.submit(db, attempt, datetime.now(UTC))  # the other request, first
    first = (attempt.submitted_at, attempt.percent)
    assert not quizzes.submit(db, attempt, datetime.now(UTC), grading)
    assert (attempt.submitted_at, attempt.percent) == first
    assert db.scalar(select(func.count()).select_from(AttemptAnswer)) == 8


def test_a_hand_in_reads_the_enrolment_as_it_is_when_it_writes(client, db, learner):
    """The course was completed (the last unit recorded by a trainer, say) after the
    hand-in read the enrolment: the pass completes nothing a second time."""
    client.post("/learn/courses/testkurs/einstieg/done")
    attempt, grading = _graded_before_writing(client, db)
    enrollment = db.get(Enrollment, attempt.enrollment_id)
    completed = datetime.now(UTC)
    db.execute(
        update(Enrollment)
        .where(Enrollment.id == enrollment.id)
        .values(completed_at=completed)
        .execution_options(synchronize_session=False)
    )
    assert enrollment.completed_at is None  # as the hand-in read it
    assert quizzes.submit(db, attempt, datetime.now(UTC), grading)
    assert attempt.passed and enrollment.completed_at == completed
    assert db.scalar(select(func.count()).select_from(Completion)) == 0
