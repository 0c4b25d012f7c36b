"""Course drafts: a course's files as trainers edit them in the browser, checked with the
same parser as `lms courses check`, and published through the versioned import.

A draft is a set of files (`path -> bytes`) in the layout of `courses/<slug>/`. Every
saved change raises `CourseDraft.revision`; a save names the revision it was made on
and is refused with `DraftConflict` when someone saved in between (optimistic
locking): the caller shows both texts, so nothing typed is lost. A file larger than
the course check allows (`MAX_FILE_BYTES` of Markdown, `MAX_ASSET_BYTES` an asset) is
refused when it is saved, whichever way it comes (editor, ZIP upload). Checking and
publishing write the files into a temporary folder named after the slug, so the
parser, the content hash and the import see exactly what a folder in `courses/`
would give.
"""

from __future__ import annotations

import difflib
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.clock import today
from lms.content.frontmatter import MAX_FILE_BYTES, Source, decode, split
from lms.content.grading import Result, grade
from lms.content.importer import (
    ImportOutcome,
    ImportStatus,
    import_course,
    latest_version,
    render_course,
    version_sources,
)
from lms.content.markdown_checks import ASSET_TYPES, MAX_ASSET_BYTES
from lms.content.parser import ParseResult, parse_course
from lms.content.problems import Problem
from lms.content.render import render_markdown
from lms.models import (
    Course,
    CourseCompany,
    CourseDraft,
    CourseEditor,
    CourseVersion,
    DraftFile,
    User,
)
from lms.packages.reading import MAX_UNPACKED as MAX_PACKAGE_BYTES
from lms.packages.reading import read_package
from lms.services.assignments import requalify
from lms.services.quizzes import response_from_fields

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")
COURSE_NAME = re.compile(r"^course(\.[a-z]{2})?\.md$")
UNIT_NAME = re.compile(r"^\d{2}-[a-z0-9][a-z0-9-]*(\.[a-z]{2})?\.md$")


class DraftError(ValueError):
    """A draft cannot be made or changed; `code` names why (the view words it), `path`
    the file it is about where there is one."""

    def __init__(self, code: str, path: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.path = path


def _check_sizes(files: Mapping[str, bytes]) -> None:
    """Refuse a file larger than the course check allows, before anything is stored:
    a course file (Markdown) over `MAX_FILE_BYTES`, an asset over `MAX_ASSET_BYTES`."""
    for path, data in files.items():
        if path.startswith("assets/"):
            if len(data) > MAX_ASSET_BYTES:
                raise DraftError("asset-too-large", path)
        elif path.startswith("packages/"):
            if len(data) > MAX_PACKAGE_BYTES:
                raise DraftError("package-too-large", path)
        elif len(data) > MAX_FILE_BYTES:
            raise DraftError("file-too-large", path)


class DraftConflict(Exception):
    """Someone saved the draft since the revision a save was made on: the current
    revision and their text of the file (None: they deleted it), to show."""

    def __init__(self, revision: int, theirs: str | None) -> None:
        super().__init__(revision)
        self.revision = revision
        self.theirs = theirs


def is_editor(session: Session, user: User, slug: str) -> bool:
    """Whether a trainer of the provider was granted the course."""
    return (
        session.scalar(
            select(CourseEditor.user_id).where(
                CourseEditor.slug == slug, CourseEditor.user_id == user.id
            )
        )
        is not None
    )


def may_edit(session: Session, user: User, draft: CourseDraft) -> bool:
    """A company's own trainers edit their company's drafts; the provider's trainers the
    courses they were granted, and the drafts of the companies they serve."""
    if user.company_id is not None:
        return draft.company_id == user.company_id
    if draft.company_id is not None:
        return any(c.id == draft.company_id for c in user.trainer_companies)
    return is_editor(session, user, draft.slug)


def set_editors(
    session: Session, actor: Actor, course: Course, users: Iterable[User], now: datetime
) -> None:
    """The provider's trainers who may change `course` (replacing the list). Written to
    the audit log with the names before and after."""
    wanted = {user.id: user for user in users}  # a trainer named twice is granted once
    before = sorted(
        session.scalars(
            select(User.display_name)
            .join(CourseEditor, CourseEditor.user_id == User.id)
            .where(CourseEditor.slug == course.slug)
        )
    )
    session.execute(delete(CourseEditor).where(CourseEditor.slug == course.slug))
    session.add_all(
        CourseEditor(slug=course.slug, user_id=user_id, granted_at=now) for user_id in wanted
    )
    session.flush()
    audit.record(
        session,
        actor,
        "course.editors",
        None,
        now,
        subject=course.slug,
        subject_id=course.id,
        changes={"editors": [before, sorted(u.display_name for u in wanted.values())]},
    )


def template_files(title: str, language: str = "de") -> dict[str, bytes]:
    """A small working course: a description, one lesson and one knowledge check."""
    quoted = title.replace('"', "'")
    files = {
        "course.md": f"""---
title: "{quoted}"
summary: Worum es in diesem Lernmodul geht, in einem Satz.
language: {language}
minutes: 15
# Nach Bedarf: zum Einschalten das # am Zeilenanfang löschen.
# valid_for: 12 months        (so lange gilt das Zertifikat)
# refresh: [7 days, 30 days]  (Kurzwiederholungen nach dem Abschluss)
---

Beschreiben Sie hier, was die Lernenden in diesem Lernmodul lernen.
""",
        "01-einstieg.md": """---
type: lesson
title: Einstieg
minutes: 5
---

## Worum es geht

Schreiben Sie hier den Text der ersten Lektion. Kurze Absätze und Listen lesen
sich am Tablet in der Werkhalle am besten.

- Ein Punkt
- Noch ein Punkt
""",
        "02-wissenscheck.md": """---
type: quiz
title: Wissenscheck
minutes: 5
pass_mark: 80
---

## Welche Antwort ist richtig? {#frage-1}

- (x) Diese
  > Richtig.
- ( ) Diese nicht
  > Leider falsch.
""",
    }
    return {path: text.encode("utf-8") for path, text in files.items()}


def file_language(session: Session, draft: CourseDraft, path: str) -> str:
    """The language a file of the draft is written in: its own (`03-x.en.md`), else the
    course's (`language:` in course.md), else German."""
    from lms.content.parser import LANGUAGES, UNIT_FILE

    match = UNIT_FILE.match(PurePosixPath(path).name)
    if match and match["lang"] in LANGUAGES:
        return match["lang"]
    data = session.scalar(
        select(DraftFile.data).where(DraftFile.draft_id == draft.id, DraftFile.path == "course.md")
    )
    source = Source("course.md")
    text = decode(data, source) if data is not None else None
    front = split(text, source) if text is not None else None
    language = front.values.get("language") if front is not None else None
    return language if language in LANGUAGES else "de"


def create_draft(
    session: Session,
    slug: str,
    files: dict[str, bytes],
    by: User,
    now: datetime,
    *,
    company_id: int | None = None,
) -> CourseDraft:
    """A new draft of `files`; for an existing course, only when it has no draft yet."""
    if not SLUG.match(slug):
        raise DraftError("bad-slug")
    _check_sizes(files)
    if session.scalar(select(CourseDraft.id).where(CourseDraft.slug == slug)) is not None:
        raise DraftError("draft-exists")
    course = session.scalar(select(Course).where(Course.slug == slug))
    draft = CourseDraft(
        slug=slug,
        course_id=course.id if course is not None else None,
        company_id=company_id,
        revision=1,
        created_at=now,
        updated_at=now,
        updated_by_id=by.id,
    )
    draft.files = [DraftFile(path=path, size=len(data), data=data) for path, data in files.items()]
    session.add(draft)
    if course is None and company_id is None and not is_editor(session, by, slug):
        # Whoever starts a new course of the provider may go on changing it.
        session.add(CourseEditor(slug=slug, user_id=by.id, granted_at=now))
    session.flush()
    return draft


def draft_from_version(session: Session, course: Course, by: User, now: datetime) -> CourseDraft:
    """A draft holding the course's live version, to change it."""
    latest = latest_version(session, course)
    files = version_sources(session, latest) if latest is not None else {}
    if not files:
        raise DraftError("no-sources")
    return create_draft(session, course.slug, files, by, now, company_id=None)


def replace_files(
    session: Session,
    draft: CourseDraft,
    files: dict[str, bytes],
    revision: int,
    by: User,
    now: datetime,
) -> None:
    """Put `files` (an uploaded ZIP) in place of all the draft's files."""
    _check_sizes(files)
    session.refresh(draft, with_for_update=True)
    if draft.revision != revision:
        raise DraftConflict(draft.revision, None)
    for old in list(draft.files):
        session.delete(old)
    session.flush()
    session.add_all(
        DraftFile(draft_id=draft.id, path=path, size=len(data), data=data)
        for path, data in files.items()
    )
    _touch(draft, by, now)
    session.flush()
    session.expire(draft, ["files"])


def draft_files(session: Session, draft: CourseDraft) -> dict[str, bytes]:
    rows = session.execute(
        select(DraftFile.path, DraftFile.data)
        .where(DraftFile.draft_id == draft.id)
        .order_by(DraftFile.path)
    )
    return {path: data for path, data in rows}


def _touch(draft: CourseDraft, by: User, now: datetime) -> None:
    draft.revision += 1
    draft.updated_at = now
    draft.updated_by_id = by.id


def _file(session: Session, draft: CourseDraft, path: str) -> DraftFile | None:
    return session.scalar(
        select(DraftFile).where(DraftFile.draft_id == draft.id, DraftFile.path == path)
    )


def _check_revision(session: Session, draft: CourseDraft, revision: int, path: str) -> None:
    if draft.revision != revision:
        current = _file(session, draft, path)
        theirs = current.data.decode("utf-8", "replace") if current is not None else None
        raise DraftConflict(draft.revision, theirs)


def save_text(
    session: Session,
    draft: CourseDraft,
    path: str,
    text: str,
    revision: int,
    by: User,
    now: datetime,
) -> None:
    """Save a Markdown file of the draft, made on `revision` (DraftConflict if stale)."""
    _check_path(path)
    data = text.replace("\r\n", "\n").encode("utf-8")
    _check_sizes({path: data})
    session.refresh(draft, with_for_update=True)  # the row lock on PostgreSQL
    _check_revision(session, draft, revision, path)
    found = _file(session, draft, path)
    if found is None:
        session.add(DraftFile(draft_id=draft.id, path=path, size=len(data), data=data))
    else:
        found.data = data
        found.size = len(data)
    _touch(draft, by, now)
    session.flush()


def rename_file(
    session: Session, draft: CourseDraft, path: str, new_path: str, revision: int, by: User,
    now: datetime,
) -> None:  # fmt: skip
    _check_path(new_path)
    session.refresh(draft, with_for_update=True)
    _check_revision(session, draft, revision, path)
    found = _file(session, draft, path)
    if found is None:
        raise DraftError("no-file")
    if _file(session, draft, new_path) is not None:
        raise DraftError("file-exists")
    found.path = new_path
    _touch(draft, by, now)
    session.flush()


def unit_files(paths: list[str]) -> list[tuple[str, list[str]]]:
    """The draft's units in order: ("03-stapler", [its files in every language])."""
    units: dict[str, list[str]] = {}
    for path in sorted(paths):
        if UNIT_NAME.match(path):
            base = path.split(".", 1)[0]
            units.setdefault(base, []).append(path)
    return sorted(units.items())


@dataclass(frozen=True)
class UnitHeading:
    """What a list of units shows of a Markdown file: the `title` and `type` its front
    matter gives ("" where the front matter cannot be read or lacks them)."""

    title: str
    type: str


def unit_heading(data: bytes) -> UnitHeading:
    """The title and type of a course file's text, read from its front matter only (so
    a file with errors in its body, or in other files, still shows its title)."""
    source = Source("")
    text = decode(data, source)
    front = split(text, source) if text is not None else None
    values = front.values if front is not None else {}
    title, kind = values.get("title"), values.get("type")
    return UnitHeading(
        " ".join(title.split()) if isinstance(title, str) else "",
        kind if isinstance(kind, str) else "",
    )


def unit_headings(session: Session, draft: CourseDraft) -> dict[str, UnitHeading]:
    """The heading of each Markdown file of the draft (course.md and the units), by path."""
    rows = session.execute(
        select(DraftFile.path, DraftFile.data).where(
            DraftFile.draft_id == draft.id,
            DraftFile.path.not_like("assets/%"),
            DraftFile.path.not_like("packages/%"),
        )
    )
    return {path: unit_heading(data) for path, data in rows if path.endswith(".md")}


def move_unit(
    session: Session, draft: CourseDraft, base: str, up: bool, revision: int, by: User,
    now: datetime,
) -> None:  # fmt: skip
    """Swap a unit's place with the one before (`up`) or after it: their numbers change,
    in every language's file."""
    session.refresh(draft, with_for_update=True)
    if draft.revision != revision:
        raise DraftConflict(draft.revision, None)
    files = {
        f.path: f for f in session.scalars(select(DraftFile).where(DraftFile.draft_id == draft.id))
    }
    order = unit_files(list(files))
    bases = [name for name, _paths in order]
    if base not in bases:
        raise DraftError("no-file")
    index = bases.index(base)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(bases):
        return
    mine, theirs = order[index], order[other]
    number_mine, number_theirs = mine[0][:2], theirs[0][:2]
    for path in mine[1]:
        files[path].path = "tmp-" + path  # free the names first (unique per draft)
    session.flush()
    for path in theirs[1]:
        files[path].path = number_mine + path[2:]
    session.flush()
    for path in mine[1]:
        files[path].path = number_theirs + path[2:]
    _touch(draft, by, now)
    session.flush()


def add_asset(
    session: Session, draft: CourseDraft, filename: str, data: bytes, by: User, now: datetime
) -> str:
    """Put an image or other asset into the draft's assets/ (replacing one of that name)."""
    name = _upload_name(filename)
    if not name or PurePosixPath(name).suffix not in ASSET_TYPES:
        raise DraftError("asset-type")
    if len(data) > MAX_ASSET_BYTES:
        raise DraftError("asset-too-large")
    return _put_upload(session, draft, f"assets/{name}", data, by, now)


def add_package(
    session: Session, draft: CourseDraft, filename: str, data: bytes, by: User, now: datetime
) -> str:
    """Put a package ZIP (SCORM, cmi5) into the draft's packages/ (replacing one of that
    name), once `read_package` finds no problem in it (else its `PackageError`)."""
    name = _upload_name(filename)
    if not name.endswith(".zip") or name == ".zip":
        raise DraftError("package-type")
    if len(data) > MAX_PACKAGE_BYTES:
        raise DraftError("package-too-large")
    path = f"packages/{name}"
    read_package(data, path)
    return _put_upload(session, draft, path, data, by, now)


def _upload_name(filename: str) -> str:
    """An uploaded file's name as the draft keeps it: lower case, no folder, only
    letters, digits, dots, dashes and underscores."""
    name = PurePosixPath(filename.replace("\\", "/")).name.lower()
    return re.sub(r"[^a-z0-9._-]+", "-", name).strip("-.")


def _put_upload(
    session: Session, draft: CourseDraft, path: str, data: bytes, by: User, now: datetime
) -> str:
    found = _file(session, draft, path)
    if found is None:
        session.add(DraftFile(draft_id=draft.id, path=path, size=len(data), data=data))
    else:
        found.data, found.size = data, len(data)
    _touch(draft, by, now)
    session.flush()
    return path


def delete_file(
    session: Session, draft: CourseDraft, path: str, revision: int, by: User, now: datetime
) -> None:
    if path == "course.md":
        raise DraftError("keep-course-md")
    session.refresh(draft, with_for_update=True)
    _check_revision(session, draft, revision, path)
    found = _file(session, draft, path)
    if found is None:
        raise DraftError("no-file")
    session.delete(found)
    _touch(draft, by, now)
    session.flush()


def _check_path(path: str) -> None:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or "\\" in path or not path:
        raise DraftError("bad-path")
    if len(pure.parts) == 1:
        if not (COURSE_NAME.match(path) or UNIT_NAME.match(path)):
            raise DraftError("bad-unit-name")
    elif len(pure.parts) != 2 or not (
        pure.parts[0] == "assets" or (pure.parts[0] == "packages" and pure.suffix.lower() == ".zip")
    ):
        raise DraftError("bad-path")


@contextmanager
def as_folder(slug: str, files: dict[str, bytes]) -> Iterator[Path]:
    """The files written into a temporary folder named `slug` (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="lms-draft-") as tmp:
        folder = Path(tmp) / slug
        for path, data in files.items():
            target = folder / path
            if not target.resolve().is_relative_to(folder.resolve()):
                raise DraftError("bad-path")  # never written outside the folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        folder.mkdir(exist_ok=True)
        yield folder


@dataclass(frozen=True)
class LiveCheck:
    """The check of one file as typed (not saved): its problems, and its unit's spec."""

    problems: tuple[Problem, ...]
    result: ParseResult
    own: str  # the file's path as problems name it (slug/file)


# Built once: the live check runs them at every pause in typing.
_DRAFT_PATHS = select(DraftFile.path).where(DraftFile.draft_id == bindparam("draft_id"))
_DRAFT_FILES = select(DraftFile.path, DraftFile.data).where(
    DraftFile.draft_id == bindparam("draft_id"),
    DraftFile.path.in_(bindparam("paths", expanding=True)),
)


def check_typed(session: Session, draft: CourseDraft, path: str, text: str) -> LiveCheck:
    """Check `path` holding `text`, as the editor's live check runs it while typing.

    Only what the file's own problems depend on is parsed: course.md (in every
    language), the file, the same unit in the other languages, and the asset names
    (empty stand-ins: only their names, types and sizes are checked). Problems between
    units (a question id used twice) show in the draft's full check after saving.
    """
    _check_path(path)
    base = path.split(".", 1)[0]
    paths = list(session.scalars(_DRAFT_PATHS, {"draft_id": draft.id}))
    wanted = [p for p in paths if COURSE_NAME.match(p) or p.split(".", 1)[0] == base]
    files: dict[str, bytes] = {}
    if wanted:
        rows = session.execute(_DRAFT_FILES, {"draft_id": draft.id, "paths": wanted})
        files.update({p: data for p, data in rows})
    files.update({p: b"" for p in paths if p.startswith("assets/")})
    files[path] = text.replace("\r\n", "\n").encode("utf-8")
    # A package unit's ZIP is read for real: its problems are the unit's.
    named = {
        p
        for p in paths
        if p.startswith("packages/") and any(p.encode() in d for d in files.values())
    }
    if named:
        rows = session.execute(_DRAFT_FILES, {"draft_id": draft.id, "paths": sorted(named)})
        files.update({p: data for p, data in rows})
    with as_folder(draft.slug, files) as folder:
        result = parse_course(folder)
    own = f"{draft.slug}/{path}"
    return LiveCheck(tuple(p for p in result.problems if p.path == own), result, own)


def render_typed(live: LiveCheck, asset_url: Callable[[str], str]) -> str:
    """The typed file's unit as learners would see it ("" while it has errors)."""
    spec = live.result.spec
    if spec is None:
        return ""
    unit = next((u for units in spec.units.values() for u in units if u.path == live.own), None)
    if unit is None:
        return ""
    html = render_markdown(unit.body, asset_url)
    return html + "".join(render_markdown(q.prompt, asset_url) for q in unit.questions)


def check(session: Session, draft: CourseDraft) -> ParseResult:
    """The draft checked as `lms courses check` checks a folder."""
    with as_folder(draft.slug, draft_files(session, draft)) as folder:
        return parse_course(folder)


@dataclass(frozen=True)
class Preview:
    """A draft parsed and rendered as an import would store it (nothing is stored)."""

    result: ParseResult
    content: dict[str, Any] | None  # as `CourseVersion.content`; None with errors


def preview(session: Session, draft: CourseDraft, asset_url: Callable[[str], str]) -> Preview:
    with as_folder(draft.slug, draft_files(session, draft)) as folder:
        result = parse_course(folder)
    if result.spec is None:
        return Preview(result, None)
    return Preview(result, render_course(result.spec, asset_url))


def grade_preview(
    result: ParseResult, content: dict[str, Any], language: str, unit_id: str,
    fields: Mapping[str, Any],
) -> dict[str, Result]:  # fmt: skip
    """Grade answers to a draft's quiz as a learner's would be graded; records nothing."""
    assert result.spec is not None
    unit = result.spec.unit_in(unit_id, language)
    public = {q["id"]: q for u in content["units"][language] if u["id"] == unit_id
              for q in u["questions"]}  # fmt: skip
    return {
        question.id: grade(question, response_from_fields(question, public[question.id], fields))
        for question in unit.questions
    }


def publish(
    session: Session,
    actor: Actor,
    draft: CourseDraft,
    now: datetime,
    *,
    note: str = "",
    requalification: bool = False,
) -> ImportOutcome:
    """Import the draft as the course's next version (none when nothing changed),
    published by `actor` and written to the audit log.

    `requalification`: everyone who completed the course takes the new version again,
    also where the course file does not ask for it. Flushes, never commits: the
    caller's transaction makes it all or nothing, so a publish that fails leaves the
    live version as it was (the caller rolls back an outcome FAILED).
    """
    existing = session.scalar(select(Course.id).where(Course.slug == draft.slug))
    if existing is not None and existing != draft.course_id:
        # A course of this slug appeared after the draft was started (imported from a
        # folder, or another draft): the draft never takes it over.
        raise DraftError("slug-taken")
    with as_folder(draft.slug, draft_files(session, draft)) as folder:
        outcome = import_course(session, folder, now)
    version = outcome.version
    if outcome.status is ImportStatus.CREATED and version is not None:
        version.published_by_id = actor.user_id
        version.change_note = note.strip()[:1000]
        if requalification and not version.requalification:
            version.requalification = True
            requalify(session, version, now, today(now))
        if draft.course_id is None and draft.company_id is not None:
            # A company's own course: open to that company only.
            course = session.get(Course, version.course_id)
            assert course is not None
            course.shared = False
            session.add(CourseCompany(course_id=course.id, company_id=draft.company_id))
        draft.course_id = version.course_id
        session.flush()
        audit.record(session, actor, "course.publish", draft.company_id, now,
                     subject=draft.slug, subject_id=version.id,
                     changes={"version": [None, version.number],
                              "note": [None, version.change_note],
                              "requalification": [None, version.requalification],
                              "content": [None, version.content_hash[:12]]})  # fmt: skip
    return outcome


def roll_back(
    session: Session,
    actor: Actor,
    course: Course,
    version: CourseVersion,
    now: datetime,
    note: str,
) -> ImportOutcome:
    """Publish an earlier version's files again, as the course's next version
    (published by `actor` and written to the audit log)."""
    files = version_sources(session, version)
    if not files:
        raise DraftError("no-sources")
    with as_folder(course.slug, files) as folder:
        outcome = import_course(session, folder, now)
    new = outcome.version
    if outcome.status is ImportStatus.CREATED and new is not None:
        new.published_by_id = actor.user_id
        new.change_note = note[:1000]
        session.flush()
        audit.record(session, actor, "course.rollback", None, now, subject=course.slug,
                     subject_id=new.id, changes={"version": [None, new.number],
                                                 "content_of": [None, version.number]})  # fmt: skip
    return outcome


@dataclass(frozen=True)
class FileDiff:
    path: str
    change: str  # added, removed, changed
    lines: tuple[tuple[str, str], ...]  # (kind: "add", "del", "ctx", "hunk"; text)


def diff_files(before: dict[str, bytes], after: dict[str, bytes]) -> list[FileDiff]:
    """The Markdown files that differ between two versions' files, line by line (unified
    diff); other files (assets) only as added, removed or changed."""
    result = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path), after.get(path)
        if a == b:
            continue
        change = "added" if a is None else "removed" if b is None else "changed"
        lines: list[tuple[str, str]] = []
        if path.endswith(".md"):
            old_lines = (a or b"").decode("utf-8", "replace").splitlines()
            new_lines = (b or b"").decode("utf-8", "replace").splitlines()
            for line in list(difflib.unified_diff(old_lines, new_lines, lineterm="", n=2))[2:]:
                kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
                lines.append((kind, line))
        result.append(FileDiff(path, change, tuple(lines)))
    return result
