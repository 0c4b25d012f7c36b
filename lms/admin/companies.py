"""Admins create and edit companies, suspend and reactivate them, and keep their departments.

A company's page (`company_page`) holds its settings, departments, people, privacy and
the dangerous actions (suspend, export, delete) as separate sections, each form with
its own button. A refused form answers the page again (422) with what was typed and
the error under its field; the other forms show the company as it is."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.admin import bp
from lms.admin.forms import CompanyForm, DepartmentForm, ReportingForm
from lms.audit.trail import current_actor
from lms.clock import now, today
from lms.db import db
from lms.input_checks import number_arg
from lms.models import AuditEntry, Company, Department, Role, User, UserRole
from lms.reports import json_download
from lms.services import companies
from lms.services.companies import CompanyError, CompanyFields
from lms.services.personal_data import export_personal_data
from lms.shared_devices import service as shared_devices
from lms.webhooks import service as webhook_service


def company_or_404(company_id: int) -> Company:
    company = db.session.get(Company, company_id)
    if company is None:
        abort(404)
    return company


def _department(company: Company, department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None or department.company_id != company.id:
        abort(404)
    return department


def company_page(
    company: Company,
    *,
    settings: CompanyForm | None = None,
    reporting: ReportingForm | None = None,
    department: DepartmentForm | None = None,
    renaming: tuple[int, str, str] | None = None,
    confirm: tuple[str, str] | None = None,
    look: dict[str, str] | None = None,
) -> str:
    """The company's page. A form the admin sent and that was refused is passed in (as
    typed, with its errors): `settings`, `reporting`, a new `department`; `renaming`
    is (department id, the name typed, the error), `confirm` (the name typed to delete
    the company, the error), `look` a refused logo or colour ("logo_error";
    "accent_typed", "accent_error"; see admin/company_look.py). Every other form shows
    the company as it is."""
    # The managers here; everyone on the people page (search, filters, pages).
    people = list(
        db.session.scalars(
            select(User)
            .where(
                User.company_id == company.id,
                User.role_rows.any(UserRole.role == Role.MANAGER.value),
            )
            .options(selectinload(User.department), selectinload(User.role_rows))
            .order_by(User.display_name)
        )
    )
    headcount = db.session.scalar(
        select(func.count()).select_from(User).where(User.company_id == company.id)
    )
    departments = list(
        db.session.scalars(
            select(Department).where(Department.company_id == company.id).order_by(Department.name)
        )
    )
    # formdata=None: a form not sent shows the company, never the fields another sent.
    return render_template(
        "admin/company.html",
        company=company,
        people=people,
        headcount=headcount,
        departments=departments,
        settings_form=settings or CompanyForm(formdata=None, obj=company),
        form=reporting or ReportingForm(formdata=None, obj=company),
        department_form=department or DepartmentForm(formdata=None),
        renaming=renaming,
        confirm=confirm,
        look=look or {},
        shared_devices=shared_devices.company_devices(db.session, company.id),
        webhook_endpoints=webhook_service.company_endpoints(db.session, company.id),
    )


_FIELD_OF = {
    "name-missing": "name",
    "bad-short-name": "short_name",
    "short-name-taken": "short_name",
    "bad-language": "default_language",
    "bad-retention": "retention_months",
}


def error_text(code: str) -> str:
    texts = {
        "name-missing": _("Please enter the company's name."),
        "bad-short-name": _("Use 2 to 60 lower case letters, digits and -, e.g. mueller-metall."),
        "short-name-taken": _("Another company has this short name already."),
        "bad-language": _("Choose Deutsch or English."),
        "bad-retention": _("Enter between 1 and 240 months."),
        "department-name-missing": _("Please enter the department's name."),
        "department-exists": _("The company has a department of this name already."),
        "department-merge-itself": _("Choose another department to merge into."),
        "department-of-other-company": _("The department belongs to another company."),
        "department-not-empty": _(
            "People still belong to this department. Move them to another one first."
        ),
    }
    return texts.get(code, code)


def _fields(form: CompanyForm) -> CompanyFields:
    return CompanyFields(
        name=form.name.data or "",
        short_name=(form.short_name.data or "").strip().lower(),
        default_language=form.default_language.data or "de",
        self_enrolment=bool(form.self_enrolment.data),
        retention_months=form.retention_months.data,
        managers_manage_people=bool(form.managers_manage_people.data),
    )


def _show(form: CompanyForm, error: CompanyError) -> None:
    field = getattr(form, _FIELD_OF.get(error.code, "name"))
    field.errors = [*field.errors, error_text(error.code)]


@bp.route("/companies/new", methods=["GET", "POST"])
def new_company() -> ResponseReturnValue:
    form = CompanyForm()
    if form.validate_on_submit():
        try:
            company = companies.create_company(db.session, current_actor(), _fields(form), now())
        except CompanyError as error:
            _show(form, error)
            return render_template("admin/company_form.html", form=form, company=None), 422
        flash(
            _("%(company)s is created. Add its departments and people next.",
              company=company.name),
            "success",
        )  # fmt: skip
        return redirect(url_for("admin.company", company_id=company.id))
    return render_template("admin/company_form.html", form=form, company=None)


@bp.route("/companies/<int:company_id>/edit", methods=["GET", "POST"])
def edit_company(company_id: int) -> ResponseReturnValue:
    """The company's settings, a section of its page (where an old link is sent)."""
    company = company_or_404(company_id)
    if request.method == "GET":
        return redirect(url_for("admin.company", company_id=company.id) + "#settings")
    # With obj: a field the post lacks keeps the company's value.
    form = CompanyForm(obj=company)
    if not form.validate_on_submit():
        return company_page(company, settings=form), 422
    try:
        companies.update_company(db.session, current_actor(), company, _fields(form), now())
    except CompanyError as error:
        _show(form, error)
        return company_page(company, settings=form), 422
    flash(_("The settings of %(company)s are saved.", company=company.name), "success")
    return redirect(url_for("admin.company", company_id=company.id))


@bp.post("/companies/<int:company_id>/suspend")
def suspend_company(company_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    companies.set_active(db.session, current_actor(), company, False, now())
    flash(
        _("%(company)s is suspended: nobody of it can log in. Nothing is deleted.",
          company=company.name),
        "success",
    )  # fmt: skip
    return redirect(url_for("admin.company", company_id=company.id))


@bp.post("/companies/<int:company_id>/reactivate")
def reactivate_company(company_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    companies.set_active(db.session, current_actor(), company, True, now())
    flash(_("%(company)s is active again.", company=company.name), "success")
    return redirect(url_for("admin.company", company_id=company.id))


@bp.post("/companies/<int:company_id>/departments")
def add_department(company_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    form = DepartmentForm()
    if not form.validate_on_submit():
        return company_page(company, department=form), 422
    try:
        companies.add_department(db.session, current_actor(), company, form.name.data or "", now())
    except CompanyError as error:
        form.name.errors = [*form.name.errors, error_text(error.code)]
        return company_page(company, department=form), 422
    flash(_("The department is added."), "success")
    return redirect(url_for("admin.company", company_id=company.id) + "#departments")


@bp.post("/companies/<int:company_id>/departments/<int:department_id>/rename")
def rename_department(company_id: int, department_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    department = _department(company, department_id)
    form = DepartmentForm()
    typed = form.name.data or ""
    if not form.validate_on_submit():
        error = form.name.errors[0] if form.name.errors else error_text("department-name-missing")
        return company_page(company, renaming=(department.id, typed, str(error))), 422
    try:
        companies.rename_department(db.session, current_actor(), department, typed, now())
    except CompanyError as error:
        return company_page(company, renaming=(department.id, typed, error_text(error.code))), 422
    flash(_("The department is renamed."), "success")
    return redirect(url_for("admin.company", company_id=company.id) + "#departments")


@bp.post("/companies/<int:company_id>/departments/<int:department_id>/delete")
def delete_department(company_id: int, department_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    department = _department(company, department_id)
    try:
        companies.delete_department(db.session, current_actor(), department, now())
    except CompanyError as error:
        db.refuse(error.code)
        flash(error_text(error.code), "error")
    else:
        flash(_("The department is deleted."), "success")
    return redirect(url_for("admin.company", company_id=company.id) + "#departments")


@bp.post("/companies/<int:company_id>/departments/<int:department_id>/merge")
def merge_department(company_id: int, department_id: int) -> ResponseReturnValue:
    """Merge the department into another one of the company (chosen in the form)."""
    company = company_or_404(company_id)
    source = _department(company, department_id)
    into = request.form.get("into", type=number_arg)
    if into is None:
        flash(_("Please choose the department to merge into."), "error")
        return redirect(url_for("admin.company", company_id=company.id) + "#departments")
    target = _department(company, into)
    name = source.name
    try:
        merged = companies.merge_departments(
            db.session, current_actor(), source, target, now(), today()
        )
    except CompanyError as error:
        db.refuse(error.code)
        flash(error_text(error.code), "error")
    else:
        flash(
            ngettext(
                "%(source)s is merged into %(target)s; %(num)d person moved.",
                "%(source)s is merged into %(target)s; %(num)d people moved.",
                merged.people,
                source=name,
                target=target.name,
            ),
            "success",
        )
    return redirect(url_for("admin.company", company_id=company.id) + "#departments")


# How recent the company's export must be for the company to be deleted.
EXPORT_BEFORE_DELETE = timedelta(days=1)


@bp.get("/companies/<int:company_id>/export.json")
def export_company(company_id: int) -> ResponseReturnValue:
    """Everything about the company's people, as each person's own export, in one file."""
    with db.reading():  # the audit entry is then written in a transaction of its own
        company = company_or_404(company_id)
        people = db.session.scalars(
            select(User).where(User.company_id == company.id).order_by(User.id)
        ).all()
        data = {
            "company": {
                "name": company.name,
                "short_name": company.short_name,
                "created_at": company.created_at.isoformat(),
                "departments": [d.name for d in company.departments],
            },
            "exported_at": now().isoformat(),
            "people": [export_personal_data(db.session, person) for person in people],
        }
    with db.writing() as session:
        companies.record_export(session, current_actor(session), company, now())
    return json_download(data, f"lernwerk-{company.short_name}.json")


@bp.post("/companies/<int:company_id>/delete")
def delete_company(company_id: int) -> ResponseReturnValue:
    """Delete a company with everything of it, once it was exported and its name is typed."""
    company = company_or_404(company_id)
    exported = db.session.scalar(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.company_id == company.id, AuditEntry.action == "company.export"
        )
    )
    typed = request.form.get("confirm", "")[:300]
    if exported is None or exported < now() - EXPORT_BEFORE_DELETE:
        refused = _("Download the company's export first; it can be deleted within a day of it.")
        return company_page(company, confirm=(typed, refused)), 422
    if typed.strip() != company.name:
        refused = _("Type the company's name exactly to confirm the deletion.")
        return company_page(company, confirm=(typed, refused)), 422
    name = company.name
    companies.delete_company(db.session, current_actor(), company, now())
    flash(_("%(company)s and all its data are deleted.", company=name), "success")
    return redirect(url_for("admin.index"))
