"""Packages and LTI in `lms demo`: the fire-safety module's SCORM package, played by
people of Müller Metallbau, and the company's Moodle registered as an LTI platform.

What the demo shows with it: Lena Hoffmann failed the package once and passed it on
her second attempt (the manager's person page, the proof of instruction); Piotr Nowak
left it half-way (his unit page offers "Fortsetzen"); six colleagues answered its three
questions, so the trainer's item statistics have figures. The commits go through
`runtime.commit` with the bodies the player sends, as if the package had run.
Safe to run again: people who already have an attempt are left as they are.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit.service import Actor
from lms.lti import service as lti
from lms.models import Company, Course, PackageAttempt, User
from lms.packages import runtime
from lms.services import learning

COURSE = "brandschutz-unterweisung"
UNIT = "brandschutz-paket"
LESSONS = ("vor-dem-start", "fluchtweg-und-sammelplatz", "besondere-gefahren")
DOMAIN = "mueller-metallbau.example"
RIGHT = ("b", "b", "a")  # the package's answers (courses/_package-sources/brandschutz-kurz)

# Who played the package: e-mail name → (days ago, answers per attempt; None: left on
# page 2 without answering).
PLAYED: dict[str, tuple[int, tuple[tuple[str, str, str] | None, ...]]] = {
    "lena.hoffmann": (9, (("b", "a", "a"), RIGHT)),
    "piotr.nowak": (2, (None,)),
    "marco.rossi": (20, (RIGHT,)),
    "dennis.wagner": (18, (("c", "b", "a"), RIGHT)),
    "olena.kovalenko": (15, (RIGHT,)),
    "katrin.schulz": (12, (("b", "a", "b"), RIGHT)),
    "tim.schroeder": (7, (("a", "b", "a"), RIGHT)),
    "nina.lange": (5, (RIGHT,)),
}

PLATFORM = lti.PlatformFields(
    name="Moodle der Ausbildung",
    issuer="https://moodle.mueller-metallbau.example",
    client_id="lernwerk",
    deployment_ids=("1",),
    auth_login_url="https://moodle.mueller-metallbau.example/mod/lti/auth.php",
    token_url="https://moodle.mueller-metallbau.example/mod/lti/token.php",  # noqa: S106 (an address)
    jwks_url="https://moodle.mueller-metallbau.example/mod/lti/certs.php",
)


def seed_packages(session: Session, now: datetime) -> int:
    """The package attempts above, once per person; returns the people seeded now."""
    course = session.scalar(select(Course).where(Course.slug == COURSE))
    if course is None:
        return 0
    seeded = 0
    for name, (days, attempts) in PLAYED.items():
        person = session.scalar(select(User).where(User.email == f"{name}@{DOMAIN}"))
        if person is None or _played(session, person):
            continue
        start = now - timedelta(days=days)
        enrollment = learning.get_enrollment(session, person, course) or learning.enroll(
            session, person, course, start
        )
        for number, lesson in enumerate(LESSONS):
            read_at = start + timedelta(minutes=number)
            learning.mark_lesson_done(session, enrollment, lesson, read_at)
        units = learning.rendered_units(enrollment.version, enrollment.version.language)
        unit = next(u for u in units if u["id"] == UNIT)
        item = unit["package"]["items"][0]["id"]
        moment = start + timedelta(minutes=5)
        for answers in attempts:
            launched = runtime.launch(session, Actor(person), enrollment, unit, item, moment)
            commits = _commits(answers)
            for sequence, (body, terminate) in enumerate(commits, start=1):
                moment += timedelta(minutes=2)
                runtime.commit(session, launched.launch, body, sequence, terminate, moment)
            moment += timedelta(hours=1)
        seeded += 1
    return seeded


def _played(session: Session, person: User) -> bool:
    return (
        session.scalar(select(PackageAttempt.id).where(PackageAttempt.user_id == person.id))
        is not None
    )


def _commits(answers: tuple[str, str, str] | None) -> list[tuple[dict[str, Any], bool]]:
    """The player's commits of one attempt: reading pages 1–3, then (with answers) the
    questions handed in; without answers the learner leaves on page 2."""
    pages = (1, 2) if answers is None else (1, 2, 3, 4)
    bodies: list[tuple[dict[str, Any], bool]] = []
    for page in pages:
        bodies.append((_body(page, len(pages) * 70, {}, None), False))
    if answers is not None:
        given = {f"f{n}": answer for n, answer in enumerate(answers, start=1)}
        right = sum(a == r for a, r in zip(answers, RIGHT, strict=True))
        passed = right == len(RIGHT)
        body = _body(4, 6 * 60 + 40 * right, given, answers)
        body["cmi"].update(
            completion_status="completed",
            progress_measure="1",
            exit="normal" if passed else "",
            score={"scaled": f"{right / 3:.2f}", "raw": str(right), "min": "0", "max": "3"},
        )
        bodies.append((body, True))
    return bodies


def _body(
    page: int, seconds: int, given: dict[str, str], answers: tuple[str, str, str] | None
) -> dict[str, Any]:
    interactions = {
        str(n): {
            "id": f"brandschutz-frage-{n + 1}",
            "type": "choice",
            "learner_response": answer,
            "correct_responses": {"0": {"pattern": RIGHT[n]}},
            "result": "correct" if answer == RIGHT[n] else "incorrect",
        }
        for n, answer in enumerate(answers or ())
    }
    return {
        "cmi": {
            "completion_status": "incomplete",
            "success_status": "unknown",
            "exit": "suspend",
            "location": str(page),
            "progress_measure": f"{page / 4:.2f}",
            "session_time": f"PT{seconds // 60}M{seconds % 60}S",
            "suspend_data": json.dumps(given),
            "interactions": interactions,
        }
    }


def seed_lti(session: Session, company: Company, now: datetime) -> bool:
    """Müller Metallbau's Moodle as an LTI platform, once; True when registered now."""
    if any(p.issuer == PLATFORM.issuer for p in lti.platforms_of(session, company.id)):
        return False
    lti.create_platform(session, Actor.command(), company, PLATFORM, now)
    return True
