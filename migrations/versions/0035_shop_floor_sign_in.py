"""The shop floor: people without an e-mail address, PINs, login cards, shared devices

Issue 19. `users.email` becomes optional (for learners; the app requires it of every
other role) and the people search reads an empty address for them; a person gets a
PIN (hashed) with the time it was set and, after too many wrong ones, locked. Every
company gets a short sign-in code, typed before the personnel number, and a setting
that limits PIN sign-in to its shared devices. New tables: printed login cards and
invitation letters (`login_cards`, digests only), each card's uses, and the browsers
marked as a company's shared devices.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-05 14:40:00
"""
import secrets

from alembic import op
import sqlalchemy as sa

from lms.models.base import UTCDateTime


revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

# As lms.models.accounts.SEARCH_TEXT was before and after this revision.
OLD_SEARCH_TEXT = "lower(display_name || '\n' || email || '\n' || coalesce(personnel_number, ''))"
SEARCH_TEXT = (
    "lower(display_name || '\n' || coalesce(email, '') || '\n' || coalesce(personnel_number, ''))"
)
# As lms.services.companies.SIGN_IN_CODE_ALPHABET: no 0/O, 1/I/L, 5/S, 8/B.
ALPHABET = "ACDEFGHJKMNPQRTUVWXYZ234679"


def _search_text(expression: str) -> None:
    stored = op.get_bind().dialect.name != 'sqlite'
    computed = sa.Computed(expression, persisted=True if stored else None)
    op.add_column('users', sa.Column('search_text', sa.Text(), computed, nullable=True))
    if stored:
        op.create_index('ix_users_company_name', 'users', ['company_id', 'display_name', 'id'],
                        postgresql_include=['search_text'])


def _drop_search_text() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_index('ix_users_company_name', table_name='users')
        # PostgreSQL's index covers the column; SQLite's stays (it does not name it).
    op.drop_column('users', 'search_text')


def _email_nullable(nullable: bool) -> None:
    # The generated column is dropped first: SQLite's batch copy would write to it,
    # and PostgreSQL's expression names the address.
    _drop_search_text()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=nullable)
        if nullable:
            batch_op.add_column(sa.Column('pin_hash', sa.String(length=255), nullable=True))
            batch_op.add_column(sa.Column('pin_set_at', UTCDateTime(), nullable=True))
            batch_op.add_column(sa.Column('pin_locked_at', UTCDateTime(), nullable=True))
        else:
            batch_op.drop_column('pin_locked_at')
            batch_op.drop_column('pin_set_at')
            batch_op.drop_column('pin_hash')
    _search_text(SEARCH_TEXT if nullable else OLD_SEARCH_TEXT)


def upgrade() -> None:
    _email_nullable(True)
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_in_code', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('pin_only_on_shared_devices', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.create_unique_constraint(
            batch_op.f('uq_companies_sign_in_code'), ['sign_in_code'])
    bind = op.get_bind()
    companies = sa.table('companies', sa.column('id', sa.Integer),
                         sa.column('sign_in_code', sa.String))
    taken: set[str] = set()
    for (company_id,) in bind.execute(sa.select(companies.c.id)).all():
        code = ''
        while not code or code in taken:
            code = ''.join(secrets.choice(ALPHABET) for _ in range(6))
        taken.add(code)
        bind.execute(companies.update().where(companies.c.id == company_id)
                     .values(sign_in_code=code))

    op.create_table(
        'shared_devices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('enrolled_at', UTCDateTime(), nullable=False),
        sa.Column('enrolled_by_id', sa.Integer(), nullable=True),
        sa.Column('last_seen_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_shared_devices_company_id_companies'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['enrolled_by_id'], ['users.id'],
                                name=op.f('fk_shared_devices_enrolled_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'],
                                name=op.f('fk_shared_devices_revoked_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_devices')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_shared_devices_secret_hash')),
    )
    op.create_index(op.f('ix_shared_devices_company_id'), 'shared_devices', ['company_id'])

    op.create_table(
        'login_cards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('printed_at', UTCDateTime(), nullable=False),
        sa.Column('printed_by_id', sa.Integer(), nullable=True),
        sa.Column('expires_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.Column('revoked_reason', sa.String(length=20), nullable=True),
        sa.Column('last_used_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_login_cards_company_id_companies'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_login_cards_user_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['printed_by_id'], ['users.id'],
                                name=op.f('fk_login_cards_printed_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'],
                                name=op.f('fk_login_cards_revoked_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_cards')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_login_cards_secret_hash')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_login_cards_code_hash')),
    )
    op.create_index(op.f('ix_login_cards_company_id'), 'login_cards', ['company_id'])
    op.create_index('ix_login_cards_user_kind', 'login_cards', ['user_id', 'kind'])

    op.create_table(
        'login_card_uses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('card_id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('network', sa.String(length=64), nullable=False),
        sa.Column('shared_device_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['card_id'], ['login_cards.id'],
                                name=op.f('fk_login_card_uses_card_id_login_cards'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_login_card_uses_company_id_companies'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['shared_device_id'], ['shared_devices.id'],
                                name=op.f('fk_login_card_uses_shared_device_id_shared_devices'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_card_uses')),
    )
    op.create_index(op.f('ix_login_card_uses_company_id'), 'login_card_uses', ['company_id'])
    op.create_index('ix_login_card_uses_card_at', 'login_card_uses', ['card_id', 'at'])


def downgrade() -> None:
    op.drop_index('ix_login_card_uses_card_at', table_name='login_card_uses')
    op.drop_index(op.f('ix_login_card_uses_company_id'), table_name='login_card_uses')
    op.drop_table('login_card_uses')
    op.drop_index('ix_login_cards_user_kind', table_name='login_cards')
    op.drop_index(op.f('ix_login_cards_company_id'), table_name='login_cards')
    op.drop_table('login_cards')
    op.drop_index(op.f('ix_shared_devices_company_id'), table_name='shared_devices')
    op.drop_table('shared_devices')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_companies_sign_in_code'), type_='unique')
        batch_op.drop_column('pin_only_on_shared_devices')
        batch_op.drop_column('sign_in_code')
    # The old schema needs an address: people without one get a placeholder that
    # cannot receive mail (RFC 2606's .invalid).
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('email', sa.String))
    op.get_bind().execute(
        users.update().where(users.c.email.is_(None))
        .values(email=sa.literal('no-email-') + sa.cast(users.c.id, sa.String)
                + sa.literal('@lernwerk.invalid'))
    )
    _email_nullable(False)
