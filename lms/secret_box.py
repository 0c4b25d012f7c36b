"""Secrets Lernwerk must read again, encrypted at rest: an identity provider's client
secret, a webhook's signing secret, a TOTP seed (issue 20).

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) with the keys of
LMS_ENCRYPTION_KEYS: the first encrypts, each decrypts, so a new key is put first and
`lms secrets rotate` encrypts every stored secret with it. Without the setting one key
is derived from LMS_SECRET_KEY (HKDF-SHA256). A copy of the database alone opens
nothing. Secrets only their holder shows (API tokens, recovery codes) are not kept at
all: they are stored as digests.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

# Domain separation: a key derived from the secret key is used for nothing else.
_HKDF_INFO = b"lernwerk secret box v1"


class SecretUnreadable(Exception):
    """A stored secret that none of the keys opens (the key was changed or lost)."""


def derived_key(secret_key: str) -> bytes:
    """The Fernet key derived from the app's secret key."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret_key.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)


def keys(config: Mapping[str, object] | None = None) -> list[bytes]:
    """The keys from the settings, the encrypting one first."""
    settings = config if config is not None else current_app.config
    given = str(settings.get("ENCRYPTION_KEYS") or "")
    listed = [part.strip().encode("ascii") for part in given.split(",") if part.strip()]
    if listed:
        return listed
    return [derived_key(str(settings["SECRET_KEY"]))]


def check_keys(config: Mapping[str, object]) -> list[str]:
    """What is wrong with LMS_ENCRYPTION_KEYS (for the settings' validation)."""
    problems = []
    for number, key in enumerate(keys(config), start=1):
        try:
            Fernet(key)
        except ValueError:
            problems.append(
                f"LMS_ENCRYPTION_KEYS: key {number} is not a Fernet key "
                "(32 bytes, URL-safe base64; make one with `lms secrets new-key`)."
            )
    return problems


def _box() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys()])


def seal(plain: str) -> str:
    """The secret, encrypted for the database."""
    return _box().encrypt(plain.encode("utf-8")).decode("ascii")


def open_sealed(sealed: str) -> str:
    """The secret behind `seal(...)`; SecretUnreadable when no key opens it."""
    try:
        return _box().decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable from exc


def reseal(sealed: str) -> str:
    """The secret encrypted with the first key (after a new key was put first)."""
    try:
        return _box().rotate(sealed.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable from exc


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
