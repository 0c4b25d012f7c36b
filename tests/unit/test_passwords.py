"""The password policy and argon2id hashing."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from config import Config, TestingConfig
from lms.services.passwords import hash_password, needs_rehash, password_problems, verify_password


@pytest.fixture
def ctx(app):
    """A request whose browser asks for English, so messages can be compared in English."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.parametrize(
    "password",
    [
        "kurz",  # too short
        "elf Zeichen",  # 11 characters
    ],
)
def test_short_passwords_are_rejected_with_the_minimum_named(ctx, password):
    problems = password_problems(password)
    assert problems and "12" in problems[0]


@pytest.mark.parametrize(
    "password",
    [
        "Stapler fahren im Lager",  # a passphrase with spaces
        "ÄÖÜ äöü ß Straße grün",  # German umlauts
        "Дом на берегу моря",  # Cyrillic
        "すしとラーメンが好きです",  # Japanese, 12 characters
        "nurkleinbuchstaben",  # no composition rules
    ],
)
def test_passphrases_and_unicode_are_accepted_without_composition_rules(ctx, password):
    assert password_problems(password) == []


@pytest.mark.parametrize(
    "password", ["qwerty123456", "Q1W2E3R4T5Y6", "1q2w3e4r5t6y", "qwerty 123456"]
)
def test_common_passwords_are_rejected(ctx, password):
    assert password_problems(password) == [
        "This password is among the most common ones. Choose another one."
    ]


def test_repetitive_password_is_rejected(ctx):
    assert password_problems("aaaaaaaaaaaaaaaa") != []
    assert password_problems("abababababababab") != []


def test_own_email_or_name_is_rejected(ctx):
    problems = password_problems("maximilian.muster", context=("maximilian.muster@firma.de", "Max"))
    assert problems == ["Your password must not be your name or e-mail address."]


def test_too_long_password_is_rejected(ctx):
    assert password_problems("x" * 1025) != []


def test_problems_are_translated_to_german(app):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert password_problems("kurz") == [
            "Verwenden Sie mindestens 12 Zeichen. Ein kurzer Satz ist leicht zu merken."
        ]


def test_hash_is_argon2id_and_verifies(ctx):
    hashed = hash_password("ein langes sicheres Passwort")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "ein langes sicheres Passwort")
    assert not verify_password(hashed, "ein langes sicheres Passwort!")
    assert not verify_password(None, "ein langes sicheres Passwort")
    assert not verify_password("not a hash", "whatever")


def test_unicode_is_normalized_before_hashing(ctx):
    composed = "Grüße aus dem Lager"  # ü as one code point
    decomposed = "Gru\u0308ße aus dem Lager"  # u + combining diaeresis
    assert verify_password(hash_password(composed), decomposed)


def test_production_parameters_meet_owasp_minimum():
    """OWASP: argon2id with at least 19 MiB memory, 2 iterations, 1 degree of parallelism."""
    hashed = PasswordHasher(
        time_cost=Config.ARGON2_TIME_COST,
        memory_cost=Config.ARGON2_MEMORY_COST,
        parallelism=Config.ARGON2_PARALLELISM,
    ).hash("x" * 12)
    params = extract_parameters(hashed)
    assert params.type is Type.ID
    assert params.memory_cost >= 19 * 1024
    assert params.time_cost >= 2
    assert params.parallelism >= 1


def test_hash_with_other_parameters_needs_rehash(ctx):
    weaker = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash("x" * 12)
    assert needs_rehash(weaker)
    assert not needs_rehash(hash_password("x" * 12))
    assert TestingConfig.ARGON2_MEMORY_COST != 512
