"""Course drafts in the browser: start one (from a template or the live version), edit
its files, check it as `lms courses check` does, and publish it as a new version."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Regexp

from lms.audit.trail import current_actor
from lms.author import bp
from lms.author.routes import _course as course_or_404
from lms.clock import now
from lms.content.archive import ArchiveError, CourseFiles, read_course_zip, write_course_zip
from lms.content.importer import ImportStatus, version_sources
from lms.content.markdown_checks import ASSET_TYPES, MAX_ASSET_BYTES
from lms.content.problems import Problem
from lms.db import db
from lms.forms import Form
from lms.input_checks import number_arg
from lms.models import Course, CourseDraft, CourseVersion, DraftFile, UnitFeedback, User
from lms.packages.reading import MAX_MB as MAX_PACKAGE_MB
from lms.packages.reading import MAX_UNPACKED as MAX_PACKAGE_BYTES
from lms.packages.reading import PackageError
from lms.services import drafts
from lms.services.drafts import DraftConflict, DraftError
from lms.services.quizzes import field_names

# A unit's Markdown beyond this many characters is cut for the live check.
MAX_TEXT = 500_000
# Larger uploads are cut here, so the archive check refuses them as too large.
MAX_UPLOAD = 60 * 1024 * 1024

ERRORS = {
    "bad-slug": _l("Use 3 to 100 lower case letters, digits and -, e.g. stapler-sicherheit."),
    "draft-exists": _l("This course has a draft already."),
    "no-sources": _l("This version's files are not on the platform; upload them as a ZIP."),
    "bad-path": _l("Files are course.md, units like 03-name.md, or assets/name.png."),
    "bad-unit-name": _l("A unit's file name is two digits, a hyphen and a name: 03-stapler.md."),
    "no-file": _l("The file is not in the draft (any more)."),
    "file-exists": _l("The draft has a file of this name already."),
    "keep-course-md": _l("course.md describes the course and cannot be deleted."),
    "asset-type": _l(
        "Assets are images (PNG, JPEG, GIF, WebP, SVG), audio (MP3, OGG, M4A), "
        "video (MP4, WebM) or PDF files."
    ),
    "asset-too-large": _l("The file is larger than 20 MB."),
    "package-type": _l("A package is a ZIP file (SCORM 1.2, SCORM 2004 or cmi5)."),
    "package-too-large": _l("The package is larger than %(limit)s MB."),
    "slug-taken": _l(
        "Meanwhile a course of this short name was made. Download the draft as a ZIP and "
        "upload it under another short name."
    ),
    "not-yours": _l("A course of this short name exists, and you may not change it."),
    "file-too-large": _l(
        "%(file)s is larger than 512 KiB, the most a course file may hold. Split it into "
        "several units, and put pictures into assets/."
    ),
}


def _message(error: DraftError) -> str:
    """The refusal in words, naming its file where the words have room for it."""
    return str(ERRORS[error.code]) % {"file": error.path, "limit": MAX_PACKAGE_MB}


class NewCourseForm(Form):
    title = StringField(
        _l("Title"),
        validators=[InputRequired(message=_l("Please enter the title.")), Length(max=200)],
    )
    slug = StringField(
        _l("Short name (folder)"),
        description=_l("Lower case letters, digits and -, e.g. stapler-sicherheit."),
        validators=[
            InputRequired(message=_l("Please enter a short name.")),
            Regexp(r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$", message=ERRORS["bad-slug"]),
        ],
    )


class FileForm(Form):
    text = TextAreaField(_l("Markdown"))
    revision = HiddenField()


class NewFileForm(Form):
    path = StringField(
        _l("File name"),
        description=_l("Two digits, a hyphen and a name, e.g. 03-stapler.md."),
        validators=[InputRequired(message=_l("Please enter a file name.")), Length(max=200)],
    )


class PublishForm(Form):
    # The draft's revision the page showed (read by the view).
    extra_fields = frozenset({"revision"})

    note = TextAreaField(
        _l("What changed?"),
        description=_l("Shown in the list of versions, e.g. “Question 3 clearer”."),
        validators=[Length(max=1000)],
    )
    requalification = BooleanField(
        _l("Everybody who completed the course takes the new version again")
    )


def _me() -> User:
    user: User = current_user._get_current_object()
    return user


def _draft(slug: str) -> CourseDraft:
    draft = db.session.scalar(select(CourseDraft).where(CourseDraft.slug == slug))
    if draft is None or not drafts.may_edit(db.session, _me(), draft):
        abort(404)
    return draft


@bp.route("/drafts", methods=["GET", "POST"])
def drafts_index() -> ResponseReturnValue:
    """The drafts the trainer may edit, and a new course from the template."""
    me = _me()
    form = NewCourseForm()
    if form.validate_on_submit():
        slug, title = form.slug.data or "", form.title.data or ""
        taken = db.session.scalar(select(Course.id).where(Course.slug == slug))
        if taken is not None:
            form.slug.errors = [_("A course with this short name exists already.")]
        else:
            try:
                draft = drafts.create_draft(
                    db.session, slug, drafts.template_files(title), me, now(),
                    company_id=me.company_id,
                )  # fmt: skip
            except DraftError as error:
                form.slug.errors = [str(ERRORS[error.code])]
            else:
                flash(_("The draft is made from the template."), "success")
                return redirect(url_for("author.draft", slug=draft.slug))
    rows = [d for d in db.session.scalars(select(CourseDraft).order_by(CourseDraft.slug))]
    mine = [d for d in rows if drafts.may_edit(db.session, me, d)]
    status = 422 if form.errors else 200
    return render_template("author/drafts.html", drafts=mine, form=form), status


def _zip_upload() -> CourseFiles | str:
    """The uploaded ZIP's files, or the message why it is refused."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _("Please choose a ZIP file.")
    try:
        return read_course_zip(upload.read(MAX_UPLOAD + 1))
    except ArchiveError as error:
        return error.message()


@bp.post("/drafts/upload")
def upload_draft() -> ResponseReturnValue:
    """A new draft from a ZIP of a course folder (named by the folder in it, or the form)."""
    files = _zip_upload()
    if isinstance(files, str):
        flash(files, "error")
        return redirect(url_for("author.drafts_index"))
    slug = (request.form.get("slug", "").strip() or files.slug or "").lower()
    me = _me()
    exists = db.session.scalar(select(Course.id).where(Course.slug == slug)) is not None
    if exists and (me.company_id is not None or not drafts.is_editor(db.session, me, slug)):
        flash(str(ERRORS["not-yours"]), "error")  # only those granted change a course
        return redirect(url_for("author.drafts_index"))
    try:
        draft = drafts.create_draft(db.session, slug, dict(files), me, now(),
                                    company_id=me.company_id)  # fmt: skip
    except DraftError as error:
        db.refuse(error.code)
        flash(_message(error), "error")
        return redirect(url_for("author.drafts_index"))
    flash(_("The ZIP file is unpacked into a draft."), "success")
    return redirect(url_for("author.draft", slug=draft.slug))


@bp.post("/drafts/<slug>/upload")
def replace_draft(slug: str) -> ResponseReturnValue:
    """All the draft's files replaced by an uploaded ZIP."""
    draft = _draft(slug)
    files = _zip_upload()
    if isinstance(files, str):
        flash(files, "error")
        return redirect(url_for("author.draft", slug=draft.slug))
    try:
        drafts.replace_files(db.session, draft, dict(files), _form_revision(), _me(), now())
    except DraftConflict:
        db.refuse("draft-changed")
        flash(_("Someone changed the draft meanwhile. Look at it again, then upload."), "error")
    except DraftError as error:
        db.refuse(error.code)
        flash(_message(error), "error")
    else:
        flash(_("The draft now holds the files of the ZIP file."), "success")
    return redirect(url_for("author.draft", slug=draft.slug))


def _zip_response(files: dict[str, bytes], name: str) -> Response:
    response = Response(write_course_zip(CourseFiles(files)), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


@bp.get("/drafts/<slug>.zip")
def download_draft(slug: str) -> ResponseReturnValue:
    draft = _draft(slug)
    return _zip_response(drafts.draft_files(db.session, draft), f"{draft.slug}-entwurf")


@bp.get("/courses/<slug>/v<int:number>.zip")
def download_version(slug: str, number: int) -> ResponseReturnValue:
    course = course_or_404(slug)
    version = None
    if course is not None:
        version = db.session.scalar(
            select(CourseVersion).where(
                CourseVersion.course_id == course.id, CourseVersion.number == number
            )
        )
    files = version_sources(db.session, version) if version is not None else {}
    if not files:
        abort(404)
    return _zip_response(files, f"{slug}-v{number}")


@bp.post("/courses/<slug>/draft")
def start_draft(slug: str) -> ResponseReturnValue:
    """A draft of the course's live version (or the draft it has already)."""
    course = course_or_404(slug)
    existing = db.session.scalar(select(CourseDraft).where(CourseDraft.slug == slug))
    if existing is not None:
        return redirect(url_for("author.draft", slug=_draft(slug).slug))
    me = _me()
    if me.company_id is not None or not drafts.is_editor(db.session, me, slug):
        # A company's own trainers change only their company's courses; the provider's
        # trainers the courses an admin granted them.
        flash(_("An administrator grants who may change this course."), "error")
        return redirect(url_for("author.course", slug=slug))
    try:
        drafts.draft_from_version(db.session, course, _me(), now())
    except DraftError as error:
        db.refuse(error.code)
        flash(_message(error), "error")
        return redirect(url_for("author.course", slug=slug))
    return redirect(url_for("author.draft", slug=slug))


def _files(draft: CourseDraft) -> list[DraftFile]:
    return list(
        db.session.scalars(
            select(DraftFile).where(DraftFile.draft_id == draft.id).order_by(DraftFile.path)
        )
    )


def _local(problem_path: str, slug: str) -> str:
    """A problem's path within the draft ("slug/01-x.md" -> "01-x.md")."""
    return problem_path.removeprefix(f"{slug}/")


@bp.get("/drafts/<slug>")
def draft(slug: str) -> ResponseReturnValue:
    return _draft_page(_draft(slug))


def _draft_page(draft: CourseDraft, package_problems: tuple[Problem, ...] = ()) -> str:
    """The draft's page; `package_problems`: why the package just uploaded was refused."""
    result = drafts.check(db.session, draft)
    files = _files(draft)
    return render_template(
        "author/draft.html",
        draft=draft,
        files=files,
        # A unit's file in the course's language first (03-x.md before 03-x.en.md).
        units=[
            (base, sorted(paths, key=lambda p: (p.count("."), p)))
            for base, paths in drafts.unit_files([f.path for f in files])
        ],
        headings=drafts.unit_headings(db.session, draft),
        # The titles' language (the first file of a unit is in the course's).
        language=drafts.file_language(db.session, draft, "course.md"),
        result=result,
        local=lambda path: _local(path, draft.slug),
        publish_form=PublishForm(),
        new_file_form=NewFileForm(),
        package_problems=package_problems,
    )


def _is_text(path: str) -> bool:
    return path.endswith(".md")


@bp.route("/drafts/<slug>/files/<path:path>", methods=["GET", "POST"])
def edit_file(slug: str, path: str) -> ResponseReturnValue:
    """A Markdown file in a textarea; saving over someone else's change is refused and
    shows both texts."""
    draft = _draft(slug)
    if not _is_text(path):
        abort(404)
    found = db.session.scalar(
        select(DraftFile).where(DraftFile.draft_id == draft.id, DraftFile.path == path)
    )
    form = FileForm()
    theirs: str | None = None
    conflict = False
    if request.method == "GET":
        if found is None:
            abort(404)
        form.text.data = found.data.decode("utf-8", "replace")
        form.revision.data = str(draft.revision)
    elif form.validate_on_submit():
        revision = int(form.revision.data) if (form.revision.data or "").isdigit() else 0
        try:
            drafts.save_text(db.session, draft, path, form.text.data or "", revision, _me(), now())
        except DraftConflict as clash:
            conflict, theirs = True, clash.theirs
            form.revision.data = str(clash.revision)
        except DraftError as error:
            form.text.errors = [_message(error)]
        else:
            flash(_("%(file)s is saved.", file=path), "success")
            return redirect(url_for("author.draft", slug=draft.slug))
    feedback = _unit_feedback(draft, path)
    problems = [p for p in drafts.check(db.session, draft).problems
                if _local(p.path, draft.slug) == path]  # fmt: skip
    text = form.text.data or ""
    status = 409 if conflict else 422 if form.errors else 200
    return render_template(
        "author/draft_file.html",
        draft=draft,
        path=path,
        is_unit=bool(drafts.UNIT_NAME.match(path)),
        language=drafts.file_language(db.session, draft, path),
        heading=drafts.unit_heading(text.encode("utf-8")),
        form=form,
        conflict=conflict,
        theirs=theirs,
        problems=problems,
        preview=_preview_of(draft, path, text),
        feedback=feedback,
    ), status


def _preview_of(draft: CourseDraft, path: str, text: str) -> str | None:
    """The unit of the text in the editor as learners would see it, for the page to
    show from the start (None while the check finds errors in it)."""
    try:
        live = drafts.check_typed(db.session, draft, path, text[:MAX_TEXT])
    except DraftError:
        return None  # a name no file may have: the form says so
    if live.result.spec is None:
        return None
    return drafts.render_typed(live, _asset_url(draft))


@dataclass(frozen=True)
class UnitFeedbackSummary:
    per_version: list[tuple[int, int, float]]  # (version number, ratings, average)
    comments: list[tuple[int, int, str, datetime]]  # (version, rating, comment, when)


def _unit_feedback(draft: CourseDraft, path: str) -> UnitFeedbackSummary | None:
    """Learners' ratings of this file's unit per published version, and the newest
    comments (never their names)."""
    match = re.match(r"^\d{2}-([a-z0-9-]+)(\.[a-z]{2})?\.md$", path)
    if draft.course_id is None or match is None:
        return None
    unit_id = match.group(1)
    where = (UnitFeedback.course_id == draft.course_id, UnitFeedback.unit_id == unit_id)
    per_version = [
        (number, count, float(average))
        for number, count, average in db.session.execute(
            select(CourseVersion.number, func.count(), func.avg(UnitFeedback.rating))
            .join(CourseVersion, CourseVersion.id == UnitFeedback.version_id)
            .where(*where)
            .group_by(CourseVersion.number)
            .order_by(CourseVersion.number.desc())
        )
    ]
    comments = [
        (number, rating, comment, when)
        for number, rating, comment, when in db.session.execute(
            select(
                CourseVersion.number,
                UnitFeedback.rating,
                UnitFeedback.comment,
                UnitFeedback.updated_at,
            )
            .join(CourseVersion, CourseVersion.id == UnitFeedback.version_id)
            .where(*where, UnitFeedback.comment != "")
            .order_by(UnitFeedback.updated_at.desc())
            .limit(10)
        )
    ]
    return UnitFeedbackSummary(per_version, comments)


def _form_revision() -> int:
    """The draft revision the trainer's page was made on (0 when missing: stale)."""
    revision = request.form.get("revision", "")
    return int(revision) if revision.isdigit() else 0


def _typed() -> str:
    return request.form.get("text", "")[:MAX_TEXT]


def _check_typed(slug: str, path: str) -> tuple[CourseDraft, drafts.LiveCheck]:
    """The draft and its file `path` checked with the text as typed, or 404."""
    draft = _draft(slug)
    if not _is_text(path):
        abort(404)
    try:
        return draft, drafts.check_typed(db.session, draft, path, _typed())
    except DraftError:
        abort(404)


@bp.post("/drafts/<slug>/files/<path:path>/check")
def check_file(slug: str, path: str) -> ResponseReturnValue:
    """The live check while typing (JSON): this file's problems with the text as typed,
    nothing saved."""
    live = _check_typed(slug, path)[1]
    return jsonify(
        problems=[
            {
                "line": p.line,
                "error": p.is_error,
                "where": _("line %(line)s", line=p.line) if p.line else path,
                "message": p.message(),
                "hint": p.hint(),
            }
            for p in live.problems
        ],
        summary=(
            ngettext(
                "%(num)d problem in this file.", "%(num)d problems in this file.",
                len(live.problems),
            )
            if live.problems
            else _("No problems in this file.")
        ),
    )  # fmt: skip


@bp.post("/drafts/<slug>/files/<path:path>/render")
def render_file(slug: str, path: str) -> ResponseReturnValue:
    """The live preview while typing (JSON): the file's unit as learners would see it;
    `ok` false while the check finds errors (the page then keeps the last preview)."""
    draft, live = _check_typed(slug, path)
    return jsonify(
        html=drafts.render_typed(live, _asset_url(draft)), ok=live.result.spec is not None
    )


@bp.post("/drafts/<slug>/files")
def add_file(slug: str) -> ResponseReturnValue:
    """A new, empty lesson file, opened in the editor."""
    draft = _draft(slug)
    form = NewFileForm()
    path = (form.path.data or "").strip() if form.validate_on_submit() else ""
    if not path.endswith(".md"):
        path += ".md"
    # In the file's or the course's language, not the trainer's: learners read it.
    # Translated outside the f-string: Babel's extraction does not look inside one.
    with force_locale(drafts.file_language(db.session, draft, path)):
        title = _("New lesson")
    text = f"---\ntype: lesson\ntitle: {title}\n---\n\n"
    try:
        if db.session.scalar(
            select(DraftFile.id).where(DraftFile.draft_id == draft.id, DraftFile.path == path)
        ):
            raise DraftError("file-exists")
        drafts.save_text(db.session, draft, path, text, draft.revision, _me(), now())
    except DraftError as error:
        db.refuse(error.code)
        flash(str(ERRORS[error.code]), "error")
        return redirect(url_for("author.draft", slug=draft.slug))
    return redirect(url_for("author.edit_file", slug=draft.slug, path=path))


def _change(change: Callable[[], object], conflict: str) -> bool:
    """Make a change to a draft; True if it was made. Refused (someone changed the
    draft meanwhile: `conflict`; or a `DraftError`): said, and rolled back at the end
    of the request."""
    try:
        change()
    except DraftConflict:
        db.refuse("draft-changed")
        flash(conflict, "error")
        return False
    except DraftError as error:
        db.refuse(error.code)
        flash(str(ERRORS[error.code]), "error")
        return False
    return True


@bp.post("/drafts/<slug>/units/<base>/move")
def move_unit(slug: str, base: str) -> ResponseReturnValue:
    """A unit one place up or down (the `direction` button pressed)."""
    draft = _draft(slug)
    up = request.form.get("direction") == "up"
    _change(
        lambda: drafts.move_unit(db.session, draft, base, up, _form_revision(), _me(), now()),
        _("Someone changed the draft meanwhile. Look at it again, then move."),
    )
    return redirect(url_for("author.draft", slug=draft.slug) + "#files-heading")


@bp.post("/drafts/<slug>/files/<path:path>/rename")
def rename_file(slug: str, path: str) -> ResponseReturnValue:
    draft = _draft(slug)
    new_path = request.form.get("new_path", "").strip()
    if path.endswith(".md") and not new_path.endswith(".md"):
        new_path += ".md"
    if _change(
        lambda: drafts.rename_file(
            db.session, draft, path, new_path, _form_revision(), _me(), now()
        ),
        _("Someone changed the draft meanwhile. Look at it again, then rename."),
    ):
        flash(_("%(old)s is now %(new)s.", old=path, new=new_path), "success")
    return redirect(url_for("author.draft", slug=draft.slug) + "#files-heading")


@bp.post("/drafts/<slug>/assets")
def upload_asset(slug: str) -> ResponseReturnValue:
    draft = _draft(slug)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Please choose a file."), "error")
        return redirect(url_for("author.draft", slug=draft.slug))
    try:
        path = drafts.add_asset(db.session, draft, upload.filename,
                                upload.read(MAX_ASSET_BYTES + 1), _me(), now())  # fmt: skip
    except DraftError as error:
        db.refuse(error.code)
        flash(str(ERRORS[error.code]), "error")
    else:
        flash(_("%(file)s is added. Use it in a unit as ![Description](%(file)s).", file=path),
              "success")  # fmt: skip
    return redirect(url_for("author.draft", slug=draft.slug) + "#files-heading")


@bp.post("/drafts/<slug>/packages")
def upload_package(slug: str) -> ResponseReturnValue:
    """A package ZIP (SCORM, cmi5) into the draft's packages/, once it is found sound;
    refused, the draft's page lists the package's problems and nothing is kept."""
    draft = _draft(slug)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Please choose a file."), "error")
        return redirect(url_for("author.draft", slug=draft.slug) + "#packages-heading")
    try:
        path = drafts.add_package(db.session, draft, upload.filename,
                                  upload.read(MAX_PACKAGE_BYTES + 1), _me(), now())  # fmt: skip
    except DraftError as error:
        db.refuse(error.code)
        flash(_message(error), "error")
    except PackageError as refused:
        return _draft_page(draft, refused.problems), 422
    else:
        flash(_("%(file)s is added. Use it in a unit of type package as package: %(file)s.",
                file=path), "success")  # fmt: skip
    return redirect(url_for("author.draft", slug=draft.slug) + "#packages-heading")


@bp.post("/drafts/<slug>/files/<path:path>/delete")
def delete_file(slug: str, path: str) -> ResponseReturnValue:
    draft = _draft(slug)
    if _change(
        lambda: drafts.delete_file(db.session, draft, path, _form_revision(), _me(), now()),
        _("Someone changed the draft meanwhile. Look at it again, then delete."),
    ):
        flash(_("%(file)s is deleted.", file=path), "success")
    return redirect(url_for("author.draft", slug=draft.slug))


@bp.post("/drafts/<slug>/publish")
def publish(slug: str) -> ResponseReturnValue:
    draft = _draft(slug)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(_("The note is too long (at most 1,000 characters)."), "error")
        return redirect(url_for("author.draft", slug=draft.slug))
    db.session.refresh(draft, with_for_update=True)
    if _form_revision() != draft.revision:
        flash(_("Someone changed the draft meanwhile. Look at it again, then publish."), "error")
        return redirect(url_for("author.draft", slug=draft.slug))
    try:
        outcome = drafts.publish(
            db.session,
            current_actor(),
            draft,
            now(),
            note=form.note.data or "",
            requalification=bool(form.requalification.data),
        )
    except DraftError as error:
        db.refuse(error.code)
        flash(str(ERRORS[error.code]), "error")
        return redirect(url_for("author.draft", slug=draft.slug))
    if outcome.status is ImportStatus.FAILED:
        db.refuse("draft-has-errors")
        flash(_("The draft has errors and is not published. The live version stays."), "error")
        return redirect(url_for("author.draft", slug=draft.slug))
    if outcome.status is ImportStatus.UNCHANGED:
        flash(_("Nothing changed since the live version; no new version."), "success")
        return redirect(url_for("author.draft", slug=draft.slug))
    assert outcome.version is not None
    flash(_("Version %(n)d is published.", n=outcome.version.number), "success")
    return redirect(url_for("author.course", slug=draft.slug))


def _course_version(slug: str, number: int) -> tuple[Course, CourseVersion]:
    course: Course | None = course_or_404(slug)
    version = None
    if course is not None:
        version = db.session.scalar(
            select(CourseVersion).where(
                CourseVersion.course_id == course.id, CourseVersion.number == number
            )
        )
    if course is None or version is None:
        abort(404)
    return course, version


@bp.get("/courses/<slug>/diff")
def diff(slug: str) -> ResponseReturnValue:
    """The Markdown changes between two versions (default: the last two)."""
    course = course_or_404(slug)
    numbers = list(
        db.session.scalars(
            select(CourseVersion.number)
            .where(CourseVersion.course_id == course.id)
            .order_by(CourseVersion.number)
        )
    )
    new = request.args.get("to", type=number_arg) or numbers[-1]
    old = request.args.get("from", type=number_arg) or (new - 1 if new > 1 else new)
    _c, old_version = _course_version(slug, old)
    _c, new_version = _course_version(slug, new)
    before = version_sources(db.session, old_version)
    after = version_sources(db.session, new_version)
    return render_template(
        "author/diff.html",
        course=course,
        numbers=numbers,
        old=old_version,
        new=new_version,
        changes=drafts.diff_files(before, after),
        known=bool(before) and bool(after),
    )


@bp.post("/courses/<slug>/v<int:number>/rollback")
def roll_back(slug: str, number: int) -> ResponseReturnValue:
    """Publish version `number`'s content again as a new version."""
    me = _me()
    if me.company_id is not None or not drafts.is_editor(db.session, me, slug):
        abort(404)  # only the trainers granted the course roll it back
    course, version = _course_version(slug, number)
    try:
        outcome = drafts.roll_back(
            db.session, current_actor(), course, version, now(),
            str(_("Back to version %(n)d", n=number)),
        )  # fmt: skip
    except DraftError as error:
        db.refuse(error.code)
        flash(str(ERRORS[error.code]), "error")
        return redirect(url_for("author.course", slug=slug))
    if outcome.status is not ImportStatus.CREATED or outcome.version is None:
        db.refuse("live-content-already")
        flash(_("Version %(n)d is the live content already.", n=number), "error")
        return redirect(url_for("author.course", slug=slug))
    flash(
        _("Version %(new)d is published with the content of version %(old)d.",
          new=outcome.version.number, old=number),
        "success",
    )  # fmt: skip
    return redirect(url_for("author.course", slug=slug))


# --- Preview --------------------------------------------------------------------------


def _asset_url(draft: CourseDraft) -> Callable[[str], str]:
    def url(path: str) -> str:
        return url_for("author.draft_asset", slug=draft.slug, path=path)

    return url


@bp.get("/drafts/<slug>/assets/<path:path>")
def draft_asset(slug: str, path: str) -> ResponseReturnValue:
    """An asset of the draft, for its preview."""
    draft = _draft(slug)
    found = db.session.scalar(
        select(DraftFile).where(DraftFile.draft_id == draft.id, DraftFile.path == path)
    )
    media_type = ASSET_TYPES.get(PurePosixPath(path).suffix.lower())
    if found is None or media_type is None:
        abort(404)
    response = Response(found.data, mimetype=media_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def _preview_language(content: dict[str, Any]) -> str:
    languages: list[str] = content["languages"]
    asked = request.args.get("lang", "")
    return asked if asked in languages else languages[0]


@bp.get("/drafts/<slug>/preview")
def draft_preview(slug: str) -> ResponseReturnValue:
    draft = _draft(slug)
    shown = drafts.preview(db.session, draft, _asset_url(draft))
    if shown.content is None:
        flash(_("The draft has errors; fix them to see the preview."), "error")
        return redirect(url_for("author.draft", slug=draft.slug))
    lang = _preview_language(shown.content)
    return render_template(
        "author/draft_preview.html",
        draft=draft,
        lang=lang,
        languages=shown.content["languages"],
        texts=shown.content["texts"][lang],
        units=shown.content["units"][lang],
    )


@bp.route("/drafts/<slug>/preview/<unit_id>", methods=["GET", "POST"])
def draft_preview_unit(slug: str, unit_id: str) -> ResponseReturnValue:
    """A unit of the draft as learners see it; a quiz is graded and shows its feedback,
    and nothing is recorded."""
    draft = _draft(slug)
    shown = drafts.preview(db.session, draft, _asset_url(draft))
    if shown.content is None:
        flash(_("The draft has errors; fix them to see the preview."), "error")
        return redirect(url_for("author.draft", slug=draft.slug))
    lang = _preview_language(shown.content)
    units: list[dict[str, Any]] = shown.content["units"][lang]
    index = next((i for i, unit in enumerate(units) if unit["id"] == unit_id), None)
    if index is None:
        abort(404)
    unit = units[index]
    graded = None
    saved: dict[str, Any] = {}
    if request.method == "POST" and unit["type"] == "quiz":
        for question in unit["questions"]:
            for name in field_names(question):
                multiple = question["type"] == "multiple"
                saved[name] = request.form.getlist(name) if multiple else request.form.get(name)
        graded = drafts.grade_preview(shown.result, shown.content, lang, unit_id, saved)
    return render_template(
        "author/draft_unit.html",
        draft=draft,
        lang=lang,
        unit=unit,
        review=shown.content["review"][lang],
        graded=graded,
        saved=saved,
        previous=units[index - 1] if index > 0 else None,
        next=units[index + 1] if index + 1 < len(units) else None,
    )
