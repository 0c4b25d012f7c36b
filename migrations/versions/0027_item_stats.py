"""Item statistics as a summary table, kept in the hand-in's transaction

One row per group of equal answers to a question of a quiz unit of a version (its
correctness and its response): how many gave it in knowledge checks and in refreshers,
and the rest-score sums of the discrimination, in cents. The upgrade fills it from the
answers there are: one SQL aggregate for the attempts' answers and one for the
refreshers' (grouped by the response as stored), then each response is written in
canonical JSON with its SHA-256 as the key, as `lms.services.item_stats` writes it.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 10:00:00
"""
import hashlib
import json

from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

# As lms.services.item_stats computes them when this revision was written.
REST_CENTS = 'CAST(ROUND((a.score - x.score) * 100) AS BIGINT)'
QUIZ_GROUPS = f"""
SELECT a.version_id, a.unit_id, x.question_id, x.correct, CAST(x.response AS TEXT),
       COUNT(*), SUM({REST_CENTS}), SUM({REST_CENTS} * {REST_CENTS})
FROM attempt_answers x JOIN quiz_attempts a ON a.id = x.attempt_id
WHERE a.status = 'submitted'
GROUP BY a.version_id, a.unit_id, x.question_id, x.correct, CAST(x.response AS TEXT)
"""
REFRESHER_GROUPS = """
SELECT version_id, unit_id, question_id, correct, CAST(response AS TEXT), COUNT(*), 0, 0
FROM refresher_answers
GROUP BY version_id, unit_id, question_id, correct, CAST(response AS TEXT)
"""
ROWS_PER_INSERT = 5_000


def canonical(stored):
    """The response as item_stats keys it: JSON with sorted keys, letters unescaped."""
    value = json.loads(stored) if stored is not None else None
    return json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=False)


def upgrade() -> None:
    item_stats = op.create_table('item_stats',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('question_id', sa.String(length=100), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('response_key', sa.String(length=64), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('refresher_answers', sa.Integer(), nullable=False),
    sa.Column('rest_cents', sa.BigInteger(), nullable=False),
    sa.Column('rest_cents_squared', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_item_stats_version_id_course_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'unit_id', 'question_id', 'correct', 'response_key', name=op.f('pk_item_stats'))
    )
    connection = op.get_bind()
    # Responses stored in different spellings of the same JSON make one group.
    groups = {}
    for refresher, query in ((False, QUIZ_GROUPS), (True, REFRESHER_GROUPS)):
        for version_id, unit_id, question_id, correct, stored, count, rest, squared in (
            connection.execute(sa.text(query))
        ):
            key = (version_id, unit_id, question_id, bool(correct), canonical(stored))
            sums = groups.setdefault(key, [0, 0, 0, 0])
            sums[1 if refresher else 0] += int(count)
            sums[2] += int(rest or 0)
            sums[3] += int(squared or 0)
    rows = [
        {
            'version_id': version_id,
            'unit_id': unit_id,
            'question_id': question_id,
            'correct': correct,
            'response_key': hashlib.sha256(response.encode()).hexdigest(),
            'response': response,
            'answers': answers,
            'refresher_answers': refresher_answers,
            'rest_cents': rest,
            'rest_cents_squared': squared,
        }
        for (version_id, unit_id, question_id, correct, response), (
            answers, refresher_answers, rest, squared
        ) in groups.items()
    ]
    for start in range(0, len(rows), ROWS_PER_INSERT):
        connection.execute(item_stats.insert(), rows[start : start + ROWS_PER_INSERT])


def downgrade() -> None:
    op.drop_table('item_stats')
