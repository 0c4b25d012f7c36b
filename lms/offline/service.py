"""What a module needs to be read offline, and what the service worker keeps for everyone.

Plain functions: they read the learner's enrolment and the stored, rendered units;
nothing here changes state (saving a module for offline reading happens in the
browser, in the service worker's caches).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lms.models import Course, Enrollment, User
from lms.services.learning import rendered_units

# Images, audio and PDFs of a course version, as the importer writes them into a
# unit's HTML (lms/content/importer.py): /content/<slug>/<digest>/<path>.
ASSET_URL = re.compile(r"""(?:src|href)=["'](/content/[^"'?#\s]+)["']""")


@dataclass(frozen=True)
class OfflineLesson:
    """A lesson unit as saved for offline reading: its id and title and the course
    files its page shows."""

    unit_id: str
    title: str
    assets: tuple[str, ...]


def enrollment_of(session: Session, user: User, slug: str) -> Enrollment | None:
    """The learner's enrolment in the course `slug` (with its version), or None.

    The same scope as the lesson pages themselves: only the learner's own enrolment,
    so another person's or another company's module is not found."""
    return session.scalar(
        select(Enrollment)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Course.slug == slug, Enrollment.user_id == user.id)
        .options(joinedload(Enrollment.version), joinedload(Enrollment.course))
    )


def offline_lessons(enrollment: Enrollment, language: str) -> list[OfflineLesson]:
    """The lesson units of the learner's version in `language` (as the lesson pages show
    them), each with the course files its text uses, in the order of the module.

    Knowledge checks, hand-ins, in-person parts and on-the-job tasks need the network
    (or a person) and are not listed."""
    lessons = []
    for unit in rendered_units(enrollment.version, language):
        if unit["type"] != "lesson":
            continue
        found = (html.unescape(url) for url in ASSET_URL.findall(unit.get("html") or ""))
        lessons.append(OfflineLesson(unit["id"], unit["title"], tuple(dict.fromkeys(found))))
    return lessons


def file_revision(path: Path) -> str:
    """A short fingerprint of a file's content: a new one makes the service worker
    fetch the file again."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
