"""The second factor's service (lms/two_factor/service.py): codes at explicit times, no
replay, recovery codes once each, who may turn it off, the admin's reset."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from lms import secret_box
from lms.audit.service import Actor
from lms.models import AuditEntry, Role
from lms.models.integration import RecoveryCode
from lms.two_factor import service
from tests.factories import make_user
from tests.two_factor_helpers import TOTP_SECRET

NOW = datetime(2026, 12, 5, 9, 0, 10, tzinfo=UTC)  # 10 s into a 30-second step
SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"


def code(at: datetime, secret: str = SECRET) -> str:
    """What an authenticator app shows at `at` (pyotp, independent of the service)."""
    return pyotp.TOTP(secret).at(at)


@pytest.fixture
def ctx(app) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def trainer(db, ctx):
    return make_user(db, None, Role.TRAINER, name="Trainerin Tara")


@pytest.fixture
def admin(db, ctx):
    return make_user(db, None, Role.ADMIN, name="Admin Arne", second_factor=False)


def actions(db, user) -> list[AuditEntry]:
    return list(
        db.scalars(
            select(AuditEntry).where(AuditEntry.subject_id == user.id).order_by(AuditEntry.id)
        )
    )


def test_only_staff_may_have_it_and_admins_must(db, ctx, trainer, admin):
    learner = make_user(db)
    assert service.may_use(trainer) and service.may_use(admin) and not service.may_use(learner)
    assert service.is_required(admin) and not service.is_required(trainer)
    assert service.is_asked(admin) and not service.is_asked(trainer)
    with pytest.raises(service.TwoFactorError):
        service.confirm_setup(db, Actor(learner), learner, SECRET, code(NOW), NOW)


def test_set_up_with_the_first_code_stores_the_seed_encrypted(db, ctx, trainer):
    codes = service.confirm_setup(db, Actor(trainer), trainer, SECRET, code(NOW), NOW)
    assert codes is not None and len(set(codes)) == 10
    assert all(re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", c) for c in codes)
    assert service.is_on(trainer) and service.is_asked(trainer)
    assert SECRET not in (trainer.totp_secret or "")
    assert secret_box.open_sealed(trainer.totp_secret or "") == SECRET
    # The digests are kept, never the codes.
    stored = set(
        db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == trainer.id))
    )
    assert len(stored) == 10 and not stored & set(codes)
    [entry] = actions(db, trainer)
    assert entry.action == "two_factor.set_up"
    assert SECRET not in str(entry.changes) and codes[0] not in str(entry.changes)


def test_a_wrong_first_code_changes_nothing(db, ctx, trainer):
    assert service.confirm_setup(db, Actor(trainer), trainer, SECRET, "000000", NOW) is None
    wrong = code(NOW, TOTP_SECRET)
    assert service.confirm_setup(db, Actor(trainer), trainer, SECRET, wrong, NOW) is None
    assert not service.is_on(trainer) and trainer.totp_secret is None
    assert actions(db, trainer) == []


def test_a_code_works_once_and_never_an_earlier_one(db, ctx, trainer):
    service.confirm_setup(db, Actor(trainer), trainer, SECRET, code(NOW), NOW)
    later = NOW + timedelta(minutes=1)
    assert service.check_code(db, trainer, code(later), later)
    # The same code again, in the same step: refused (seen over a shoulder, replayed).
    assert not service.check_code(db, trainer, code(later), later + timedelta(seconds=5))
    # The code of the step before is within the drift, but before the one taken.
    assert not service.check_code(db, trainer, code(later - timedelta(seconds=30)), later)
    # The next step's code is taken (a phone's clock a little ahead).
    assert service.check_code(db, trainer, code(later + timedelta(seconds=30)), later)


def test_codes_outside_the_drift_and_malformed_ones_are_refused(db, ctx, trainer):
    service.confirm_setup(db, Actor(trainer), trainer, SECRET, code(NOW), NOW)
    moment = NOW + timedelta(hours=1)
    assert not service.check_code(db, trainer, code(moment - timedelta(seconds=90)), moment)
    assert not service.check_code(db, trainer, code(moment + timedelta(seconds=90)), moment)
    for typed in ("", "12345", "1234567", "abcdef", "１２３４５６"):
        assert not service.check_code(db, trainer, typed, moment)
    # Spaces and a dash as some apps show it ("123 456") are fine.
    shown = code(moment)
    assert service.check_code(db, trainer, f"{shown[:3]} {shown[3:]}", moment)


def test_the_code_of_the_set_up_cannot_sign_in(db, ctx, trainer):
    service.confirm_setup(db, Actor(trainer), trainer, SECRET, code(NOW), NOW)
    assert not service.check_code(db, trainer, code(NOW), NOW)


def test_a_recovery_code_works_once(db, ctx, trainer):
    codes = service.confirm_setup(db, Actor(trainer), trainer, SECRET, code(NOW), NOW)
    assert codes is not None
    assert service.recovery_codes_left(db, trainer) == 10
    # Typed in lower case, without the dash.
    typed = codes[3].lower().replace("-", "")
    assert service.use_recovery_code(db, Actor(trainer), trainer, typed, NOW) == 9
    assert service.use_recovery_code(db, Actor(trainer), trainer, codes[3], NOW) is None
    assert service.use_recovery_code(db, Actor(trainer), trainer, "AAAA-AAAA", NOW) is None
    assert service.use_recovery_code(db, Actor(trainer), trainer, "not a code", NOW) is None
    entry = actions(db, trainer)[-1]
    assert entry.action == "two_factor.recovery_code_used"
    assert entry.changes == {"left": [None, 9]}


def test_new_recovery_codes_replace_the_old_ones(db, ctx, trainer):
    old = service.confirm_setup(db, Actor(trainer), trainer, SECRET, code(NOW), NOW)
    assert old is not None
    service.use_recovery_code(db, Actor(trainer), trainer, old[0], NOW)
    new = service.renew_recovery_codes(db, Actor(trainer), trainer, NOW)
    assert not set(new) & set(old)
    assert service.recovery_codes_left(db, trainer) == 10
    assert service.use_recovery_code(db, Actor(trainer), trainer, old[1], NOW) is None
    assert service.use_recovery_code(db, Actor(trainer), trainer, new[1], NOW) == 9
    assert "two_factor.recovery_codes" in [e.action for e in actions(db, trainer)]


def test_a_trainer_may_turn_it_off_an_admin_may_not(db, ctx, trainer, admin):
    for person in (trainer, admin):
        service.confirm_setup(db, Actor(person), person, SECRET, code(NOW), NOW)
    service.turn_off(db, Actor(trainer), trainer, NOW)
    assert not service.is_on(trainer) and trainer.totp_secret is None
    assert service.recovery_codes_left(db, trainer) == 0
    assert actions(db, trainer)[-1].action == "two_factor.turn_off"
    with pytest.raises(service.TwoFactorError) as refused:
        service.turn_off(db, Actor(admin), admin, NOW)
    assert refused.value.code == "required" and service.is_on(admin)


def test_an_admin_resets_a_lost_phone(db, ctx, trainer, admin):
    service.confirm_setup(db, Actor(trainer), trainer, SECRET, code(NOW), NOW)
    version = trainer.session_version
    service.reset(db, Actor(admin), trainer, NOW)
    assert not service.is_on(trainer) and trainer.totp_last_step is None
    assert service.recovery_codes_left(db, trainer) == 0
    assert trainer.session_version == version + 1  # logged out everywhere
    entry = actions(db, trainer)[-1]
    assert (entry.action, entry.actor_id) == ("two_factor.reset", admin.id)
    # Nothing to reset now; and nobody resets their own.
    with pytest.raises(service.TwoFactorError):
        service.reset(db, Actor(admin), trainer, NOW)
    service.confirm_setup(db, Actor(admin), admin, SECRET, code(NOW), NOW)
    with pytest.raises(service.TwoFactorError) as refused:
        service.reset(db, Actor(admin), admin, NOW)
    assert refused.value.code == "own"


def test_set_up_again_on_a_new_phone(db, ctx, admin):
    service.confirm_setup(db, Actor(admin), admin, SECRET, code(NOW), NOW)
    other = pyotp.random_base32()
    later = NOW + timedelta(minutes=5)
    assert service.confirm_setup(db, Actor(admin), admin, other, code(later, other), later)
    assert not service.check_code(db, admin, code(later + timedelta(seconds=30)), later)
    assert service.check_code(db, admin, code(later + timedelta(seconds=30), other), later)
    assert actions(db, admin)[-1].changes == {"again": [None, True]}


def test_the_set_up_address_names_the_provider_and_the_person():
    uri = service.setup_uri(SECRET, "anna@zukunftszentrum.example", "Zukunftszentrum Nord")
    assert uri.startswith("otpauth://totp/Zukunftszentrum%20Nord:anna%40zukunftszentrum.example?")
    assert f"secret={SECRET}" in uri and "issuer=Zukunftszentrum%20Nord" in uri
    assert service.grouped("ABCDEFGHIJKL") == "ABCD EFGH IJKL"


def test_an_unreadable_seed_signs_no_one_in(app, db, ctx, trainer):
    service.confirm_setup(db, Actor(trainer), trainer, SECRET, code(NOW), NOW)
    app.config["ENCRYPTION_KEYS"] = secret_box.new_key()  # the old key is gone
    later = NOW + timedelta(minutes=1)
    assert not service.check_code(db, trainer, code(later), later)
