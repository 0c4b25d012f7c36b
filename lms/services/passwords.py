"""Password hashing (argon2id) and the password policy.

The policy follows NIST SP 800-63B and OWASP: a minimum length, long
passphrases and any Unicode accepted, no composition rules, and a check
against a list of common passwords and the user's own details.
"""

from __future__ import annotations

import gzip
import unicodedata
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, current_app
from flask_babel import gettext as _


def normalize(password: str) -> str:
    """The form in which a password is hashed: NFKC, so that the same typed
    characters match whatever the keyboard or device produced."""
    return unicodedata.normalize("NFKC", password)


def hasher_for(app: Flask) -> PasswordHasher:
    hasher: PasswordHasher | None = app.extensions.get("password_hasher")
    if hasher is None:
        hasher = PasswordHasher(
            time_cost=app.config["ARGON2_TIME_COST"],
            memory_cost=app.config["ARGON2_MEMORY_COST"],
            parallelism=app.config["ARGON2_PARALLELISM"],
        )
        app.extensions["password_hasher"] = hasher
    return hasher


def hash_password(password: str) -> str:
    return hasher_for(current_app).hash(normalize(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches. Unknown users are checked against a dummy
    hash so that the answer takes as long as for a real account."""
    hasher = hasher_for(current_app)
    target = password_hash or _dummy_hash(hasher)
    try:
        return hasher.verify(target, normalize(password)) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return hasher_for(current_app).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def _dummy_hash(hasher: PasswordHasher) -> str:
    cached: dict[PasswordHasher, str] = current_app.extensions.setdefault("dummy_hash", {})
    if hasher not in cached:
        cached[hasher] = hasher.hash("not a real password, only spends the same time")
    return cached[hasher]


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """About 20,000 common passwords (list from Django, BSD licence; see NOTICE)."""
    data = resources.files("lms.auth").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split())


def password_problems(password: str, *, context: tuple[str, ...] = ()) -> list[str]:
    """Translated reasons why `password` is not acceptable; empty if it is.

    `context` holds the user's own details (e-mail, name), which must not be
    the password.
    """
    cfg = current_app.config
    candidate = normalize(password)
    problems: list[str] = []
    if len(candidate) < cfg["PASSWORD_MIN_LENGTH"]:
        problems.append(
            _(
                "Use at least %(n)d characters. A short sentence is easy to remember.",
                n=cfg["PASSWORD_MIN_LENGTH"],
            )
        )
        return problems
    if len(candidate) > cfg["PASSWORD_MAX_LENGTH"]:
        problems.append(_("Use at most %(n)d characters.", n=cfg["PASSWORD_MAX_LENGTH"]))
        return problems
    folded = candidate.casefold()
    squeezed = "".join(folded.split())
    if folded in common_passwords() or squeezed in common_passwords():
        problems.append(_("This password is among the most common ones. Choose another one."))
    elif len(set(squeezed)) < 4:
        problems.append(_("This password repeats too few characters. Choose another one."))
    else:
        for item in context:
            item = normalize(item or "").casefold().strip()
            parts = {item, item.split("@")[0]} if item else set()
            if any(len(p) >= 4 and (squeezed == "".join(p.split()) or folded == p) for p in parts):
                problems.append(_("Your password must not be your name or e-mail address."))
                break
    return problems
