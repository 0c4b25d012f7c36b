"""Handing in a knowledge check, the learner's costliest request: its statements (issue 4)."""

from __future__ import annotations

from tests.web.test_quiz import CHECK, answer_all, learner, publish, start

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
    # User, enrolment, attempt; the conditional update that stores the last page,
    # the hand-in and the score at once; answers, learning records; the unit
    # recorded as passed (an insert unless recorded in this round) and the
    # progress read for the completion.
    assert len(statements) == 8, "\n".join(statements)


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
