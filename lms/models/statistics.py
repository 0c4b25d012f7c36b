"""Summary tables that the trainers' figures read instead of aggregating answers."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base


class ItemStat(Base):
    """One group of equal answers to one question of a quiz unit of a version: how
    many gave exactly this response with this correctness, in knowledge checks and in
    refreshers, and the sums the discrimination needs.

    Kept by `lms.services.item_stats` in the transaction that hands an attempt in or
    answers a refresher (an upsert adds 1 to each group), so every instance reads the
    same figures as soon as it is committed. Never names a learner.

    `response` is the stored form fields as canonical JSON (sorted keys, no escaping of
    letters); `response_key` its SHA-256, which keeps the key short enough for any
    index whatever was typed. The rest score y (attempt score − this question's score)
    is summed in cents, so that adding and taking away is exact on every database:
    `rest_cents` = Σy · 100 and `rest_cents_squared` = Σy² · 100², over the
    knowledge-check answers only (a refresher has no attempt score).
    """

    __tablename__ = "item_stats"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("course_versions.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    correct: Mapped[bool] = mapped_column(primary_key=True)
    response_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    response: Mapped[str] = mapped_column(Text)
    answers: Mapped[int] = mapped_column(default=0)  # in knowledge-check attempts
    refresher_answers: Mapped[int] = mapped_column(default=0)
    rest_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    rest_cents_squared: Mapped[int] = mapped_column(BigInteger, default=0)
