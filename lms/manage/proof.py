"""The proof of instruction of one module for a period, on screen, as PDF and as CSV."""

from __future__ import annotations

from datetime import date, datetime

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField
from wtforms.validators import InputRequired

from lms.audit.service import log_report_access
from lms.clock import local_zone, now, today
from lms.content.importer import catalogue
from lms.db import db
from lms.manage import bp
from lms.manage.forms import PeriodForm
from lms.models import User
from lms.packages.reporting import STATE_WORDS, PackageResult, package_words
from lms.permissions import managed_department_ids
from lms.reports import tables
from lms.reports.evidence import Attended
from lms.reports.proof import Proof, proof_of_instruction
from lms.reports.proof_pdf import ProofDocument, render_proof
from lms.templating import date_filter, datetime_filter, page_language, percent_filter


class ProofForm(PeriodForm):
    course = SelectField(
        _l("Module"), coerce=int, validators=[InputRequired(message=_l("Please choose a module."))]
    )


def _manager() -> User:
    user: User = current_user._get_current_object()
    return user


def _local_date(value: datetime | None) -> date | str:
    return value.astimezone(local_zone()).date() if value else ""


def _session_text(attended: Attended, *, for_pdf: bool) -> str:
    """A session attended: its start, and for partial attendance how long and whether it
    counted for the in-person part."""
    at = attended.in_person.starts_at
    when = datetime_filter(at) if for_pdf else f"{at.astimezone(local_zone()):%Y-%m-%d %H:%M}"
    if not attended.partial:
        return when
    total = attended.in_person.minutes
    if attended.minutes is not None and attended.counts:
        detail = _("partly present: %(minutes)d of %(total)d min.", minutes=attended.minutes,
                   total=total)  # fmt: skip
    elif attended.minutes is not None:
        detail = _("partly present: %(minutes)d of %(total)d min., not counted",
                   minutes=attended.minutes, total=total)  # fmt: skip
    elif attended.counts:
        detail = _("partly present")
    else:
        detail = _("partly present, not counted")
    return f"{when} ({detail})"


def _package_result(result: PackageResult) -> str:
    """The learner's result: passed or completed; with results also the best score, the
    time spent and the number of attempts (None where results may not be shown)."""
    parts = [str(STATE_WORDS[result.state])]
    if result.percent is not None:
        parts.append(percent_filter(result.percent))
    if result.seconds is not None:
        parts.append(_("%(minutes)d min.", minutes=round(result.seconds / 60)))
    if result.attempts is not None:
        parts.append(ngettext("%(num)d attempt", "%(num)d attempts", result.attempts))
    return " · ".join(parts)


# A cell is a text, a number, or a list of texts (several sessions or sign-offs): the page
# and the PDF show a list one per line, the CSV separated by semicolons.
def _cells(proof: Proof, *, for_pdf: bool) -> tuple[list[str], list[list[object]]]:
    header = [
        _("Name"),
        _("Department"),
        _("Version"),
        _("Online part done on"),
        _("In-person session"),
        _("Trainers"),
        _("Signed off by"),
        _("Completed on"),
        _("Certificate"),
    ]
    if proof.with_results:
        header.insert(7, _("Knowledge check"))
    if proof.with_packages:
        header[7:7] = [_("Learning package"), _("Package result")]
    rows: list[list[object]] = []
    for line in proof.lines:
        row: list[object] = [
            line.name,
            line.department,
            _("external") if line.version is None else line.version,
            date_filter(line.online_done) if for_pdf else _local_date(line.online_done),
            [_session_text(attended, for_pdf=for_pdf) for attended in line.sessions],
            [", ".join(attended.trainers) or "–" for attended in line.sessions],
            [
                _("%(name)s on %(date)s", name=signed.by, date=date_filter(signed.at))
                for signed in line.signoffs
            ],
            date_filter(line.completed_at) if for_pdf else _local_date(line.completed_at),
            line.certificate or _("External: %(what)s", what=line.external)
            if line.external
            else line.certificate,
        ]
        if proof.with_results:
            shown = percent_filter(line.result) if for_pdf else line.result
            row.insert(7, shown if line.result is not None else "")
        if proof.with_packages:
            row[7:7] = [
                [package_words(result.package) for result in line.packages],
                [_package_result(result) for result in line.packages],
            ]
        rows.append(row)
    return header, rows


def _joined(rows: list[list[object]], separator: str) -> list[list[object]]:
    """The rows with each list of texts joined into one text."""
    return [
        [separator.join(cell) if isinstance(cell, list) else cell for cell in row] for row in rows
    ]


@bp.get("/proof")
def proof() -> ResponseReturnValue:
    """Choose a module and a period; see the proof, and download it as PDF or CSV."""
    manager = _manager()
    company = manager.company
    if company is None:
        abort(404)
    language = page_language()
    courses = {course.id: version for course, version in catalogue(db.session, company.id)}
    form = ProofForm(request.args)
    form.course.choices = [(course_id, v.title) for course_id, v in courses.items()]
    year = today().year
    if not request.args.get("course") or not form.validate():
        form.start.data = form.start.data or date(year, 1, 1)
        form.end.data = form.end.data or date(year, 12, 31)
        status = 422 if request.args.get("course") else 200
        return render_template("manage/proof.html", form=form, proof=None), status
    start = form.start.data or date(year, 1, 1)
    end = form.end.data or date(year, 12, 31)
    course_id = form.course.data
    if course_id not in courses:
        abort(404)
    with db.reading():  # a download's access log is then written in a transaction of its own
        result = proof_of_instruction(
            db.session,
            company.id,
            course_id,
            start,
            end,
            department_ids=managed_department_ids(manager),
            with_results=company.privacy_level == "results",
            language=language,
        )
    kind = request.args.get("format")
    if kind not in ("pdf", "csv"):
        header, rows = _cells(result, for_pdf=True)
        return render_template(
            "manage/proof.html", form=form, proof=result, header=header, rows=rows
        )
    period = f"{format_date(start)} – {format_date(end)}"
    with db.writing() as session:
        log_report_access(session, manager, company.id, f"proof-{kind}", now(), detail=period)
    title = (
        courses[course_id].content["texts"].get(language, {}).get("title")
        or courses[course_id].title
    )
    filename = f"lernwerk-unterweisungsnachweis-{start.isoformat()}-{end.isoformat()}.{kind}"
    if kind == "csv":
        header, rows = _cells(result, for_pdf=False)
        response = Response(tables.csv_chunks(header, _joined(rows, "; ")), mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    else:
        header, rows = _cells(result, for_pdf=True)
        document = ProofDocument(
            title=_("Proof of instruction"),
            facts=[
                (_("Company"), company.name),
                (_("Module"), title),
                (_("Period"), period),
                (_("Made on"), datetime_filter(now())),
            ],
            header=header,
            rows=[[str(cell) for cell in row] for row in _joined(rows, "\n")],
            empty=_("Nobody completed this module in this period."),
            signature=_("Date, signature of the person responsible"),
            page=_("Page %(page)s of %(pages)s", page="{page}", pages="{pages}"),
            # A package's name, identifier and version need room; the rest share alike.
            widths=[2 if name == _("Learning package") else 1 for name in header]
            if result.with_packages
            else (),
        )
        response = Response(render_proof(document), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
