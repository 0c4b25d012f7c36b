"""Admins find and keep a company's people: search, filters, pages; add someone (with an
invitation), deactivate and reactivate, send an invitation or a password link again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length

from lms import records_pages
from lms.admin import bp
from lms.admin import records as admin_records
from lms.admin.companies import company_or_404
from lms.audit_trail import log_change
from lms.auth.routes import send_invitation_mail, send_reset_mail
from lms.clock import now, today
from lms.db import db
from lms.manage.forms import CheckboxListField
from lms.models import Company, Role, TokenPurpose, User, UserRole
from lms.permissions import departments_of, get_for_company
from lms.services import accounts, assignments, companies
from lms.services.audit import changed, snapshot
from lms.services.companies import CompanyError, PersonFields

PAGE_SIZE = 50
# The person's fields the audit log follows; `roles` and `managed` are read as text.
PERSON_FIELDS = ("display_name", "email", "personnel_number", "department_id", "language",
                 "role_names", "managed_names")  # fmt: skip


class _NameAndAddress(FlaskForm):
    display_name = StringField(
        _l("Name"),
        validators=[InputRequired(message=_l("Please enter the name.")), Length(max=200)],
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[
            InputRequired(message=_l("Please enter the e-mail address.")),
            Email(message=_l("Please enter a valid e-mail address.")),
            Length(max=254),
        ],
    )


class PersonForm(_NameAndAddress):
    department = SelectField(_l("Department"), coerce=int)
    roles = CheckboxListField(
        _l("Roles"),
        coerce=str,
        choices=[
            SelectChoice(Role.LEARNER.value, _l("Employee")),
            SelectChoice(Role.MANAGER.value, _l("Manager")),
        ],
        default=[Role.LEARNER.value],
    )
    language = SelectField(
        _l("Language of the invitation"),
        choices=[SelectChoice("de", "Deutsch"), SelectChoice("en", "English")],
        default="de",
    )


class PersonEditForm(_NameAndAddress):
    personnel_number = StringField(_l("Personnel number"), validators=[Length(max=50)])
    department = SelectField(
        _l("Department"),
        coerce=int,
        description=_l("A new department brings its standing assignments; the earlier stay."),
    )
    manager = BooleanField(_l("Manager: sees the team's progress"))
    managed_departments = CheckboxListField(
        _l("Only for these departments"),
        coerce=int,
        description=_l("Leave all unticked for the whole company."),
    )
    language = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("the company's language")),
            SelectChoice("de", "Deutsch"),
            SelectChoice("en", "English"),
        ],
    )


@dataclass(frozen=True)
class PeopleFilters:
    text: str = ""
    role: str = ""
    department_id: int | None = None
    status: str = ""  # active, inactive, never
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> PeopleFilters:
        def number(name: str) -> int | None:
            value = args.get(name, "")
            return int(value) if value.isdigit() else None

        role = args.get("role", "")
        status = args.get("status", "")
        return cls(
            text=args.get("q", "").strip()[:100],
            role=role if role in {r.value for r in Role} else "",
            department_id=number("department"),
            status=status if status in ("active", "inactive", "never") else "",
            page=max(number("page") or 1, 1),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        values = {
            "q": self.text,
            "role": self.role,
            "department": self.department_id or "",
            "status": self.status,
            "page": self.page,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in ("", None, 1)}


def people_query(company: Company, filters: PeopleFilters) -> Select[User]:
    query = select(User).where(User.company_id == company.id)
    if filters.text:
        pattern = f"%{filters.text.lower()}%"
        query = query.where(
            or_(
                func.lower(User.display_name).like(pattern),
                func.lower(User.email).like(pattern),
                func.lower(func.coalesce(User.personnel_number, "")).like(pattern),
            )
        )
    if filters.role:
        query = query.where(User.role_rows.any(UserRole.role == filters.role))
    if filters.department_id:
        query = query.where(User.department_id == filters.department_id)
    if filters.status == "active":
        query = query.where(User.is_active.is_(True))
    elif filters.status == "inactive":
        query = query.where(User.is_active.is_(False))
    elif filters.status == "never":
        query = query.where(User.last_login_at.is_(None))
    return query


@bp.get("/companies/<int:company_id>/people")
def people(company_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    filters = PeopleFilters.from_args(request.args)
    query = people_query(company, filters)
    # The page's ids first: sorting narrow rows is quicker than sorting whole
    # ones (page 50 of 5,000 people: 5 ms instead of 9 ms on SQLite).
    page_ids = query.with_only_columns(User.id).order_by(User.display_name, User.id)
    page_ids = page_ids.limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)
    total: int | None = None
    if filters.text:
        # A search reads every row anyway: the count comes along in the same pass.
        found = db.session.execute(page_ids.add_columns(func.count().over())).all()
        ids = [row[0] for row in found]
        total = found[0][1] if found else None
    else:
        ids = list(db.session.scalars(page_ids))
    if total is None:
        total = db.session.scalar(query.with_only_columns(func.count(User.id))) or 0
    by_id = {
        person.id: person
        for person in db.session.scalars(
            select(User).where(User.id.in_(ids)).options(selectinload(User.role_rows))
        )
    }
    rows = [by_id[i] for i in ids]
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    departments = departments_of(
        db.session, company.id
    )  # for the filter; the rows' names come from it too
    return render_template(
        "admin/people.html",
        company=company,
        rows=rows,
        total=total,
        filters=filters,
        pages=pages,
        departments=departments,
        departments_by_id={d.id: d for d in departments},
    )


def _invite(user: User) -> None:
    lifetime = timedelta(days=current_app.config["INVITE_TOKEN_DAYS"])
    raw = accounts.issue_token(db.session, user, TokenPurpose.INVITE, now(), lifetime)
    db.session.commit()
    send_invitation_mail(user, raw)


@bp.route("/companies/<int:company_id>/people/new", methods=["GET", "POST"])
def new_person(company_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    departments = departments_of(db.session, company.id)
    form = PersonForm()
    form.department.choices = [SelectChoice(0, _("– none –"))] + [
        SelectChoice(d.id, d.name) for d in departments
    ]
    if request.method == "GET":
        form.language.data = company.default_language
    if form.validate_on_submit():
        department = next((d for d in departments if d.id == form.department.data), None)
        try:
            user = accounts.create_user(
                db.session,
                accounts.NewPerson(
                    email=form.email.data or "",
                    display_name=(form.display_name.data or "").strip(),
                    roles=tuple(Role(r) for r in form.roles.data or [Role.LEARNER.value]),
                    company=company,
                    department=department,
                    language=form.language.data,
                ),
                now(),
            )
        except accounts.AccountError as error:
            db.session.rollback()
            form.email.errors = [
                _("Someone has this e-mail address already.")
                if error.code == "email-taken"
                else _("Please enter a valid e-mail address.")
            ]
        else:
            log_change("person.create", company.id, subject=user.display_name,
                       subject_id=user.id,
                       changes={name: [None, value] for name, value in
                                snapshot(user, PERSON_FIELDS).items()})  # fmt: skip
            _invite(user)
            flash(_("%(name)s is added and invited by e-mail.", name=user.display_name), "success")
            return redirect(url_for("admin.people", company_id=company.id))
    return render_template("admin/person_form.html", form=form, company=company)


def _person(company: Company, user_id: int) -> User:
    return get_for_company(db.session, User, user_id, company.id)


@bp.post("/companies/<int:company_id>/people/<int:user_id>/deactivate")
def deactivate_person(company_id: int, user_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    person = _person(company, user_id)
    accounts.deactivate_user(db.session, person)
    log_change("person.deactivate", company.id, subject=person.display_name, subject_id=person.id)
    db.session.commit()
    flash(
        _("%(name)s is deactivated and logged out everywhere.", name=person.display_name),
        "success",
    )
    return redirect(url_for("admin.people", company_id=company.id))


@bp.post("/companies/<int:company_id>/people/<int:user_id>/reactivate")
def reactivate_person(company_id: int, user_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    person = _person(company, user_id)
    person.is_active = True
    db.session.flush()
    log_change("person.reactivate", company.id, subject=person.display_name, subject_id=person.id)
    # Standing department assignments made while the person was away.
    assignments.apply_rules_to_newcomer(db.session, person, now(), today())
    db.session.commit()
    flash(_("%(name)s is active again.", name=person.display_name), "success")
    return redirect(url_for("admin.people", company_id=company.id))


@bp.post("/companies/<int:company_id>/people/<int:user_id>/invite")
def invite_person(company_id: int, user_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    person = _person(company, user_id)
    if not person.is_active:
        abort(404)
    if person.password_hash is None:
        _invite(person)
        flash(_("A new invitation is sent to %(email)s.", email=person.email), "success")
    else:
        lifetime = timedelta(hours=current_app.config["RESET_TOKEN_HOURS"])
        raw = accounts.issue_token(db.session, person, TokenPurpose.RESET, now(), lifetime)
        db.session.commit()
        send_reset_mail(person, raw)
        flash(_("A link to set a new password is sent to %(email)s.", email=person.email),
              "success")  # fmt: skip
    return redirect(url_for("admin.people", company_id=company.id))


@bp.route("/companies/<int:company_id>/people/<int:user_id>/edit", methods=["GET", "POST"])
def edit_person(company_id: int, user_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    person = _person(company, user_id)
    departments = departments_of(db.session, company.id)
    form = PersonEditForm(obj=person if request.method == "GET" else None)
    form.department.choices = [SelectChoice(0, _("– none –"))] + [
        SelectChoice(d.id, d.name) for d in departments
    ]
    form.managed_departments.choices = [SelectChoice(d.id, d.name) for d in departments]
    if request.method == "GET":
        form.department.data = person.department_id or 0
        form.manager.data = person.has_role(Role.MANAGER)
        form.managed_departments.data = [d.id for d in person.managed_departments]
        form.language.data = person.language or ""
    if form.validate_on_submit():
        by_id = {d.id: d for d in departments}
        fields = PersonFields(
            display_name=form.display_name.data or "",
            email=form.email.data or "",
            personnel_number=form.personnel_number.data,
            department=by_id.get(form.department.data or 0),
            manager=bool(form.manager.data),
            managed_departments=tuple(
                by_id[i] for i in form.managed_departments.data or [] if i in by_id
            ),
            language=form.language.data or None,
        )
        before = snapshot(person, PERSON_FIELDS)
        try:
            moved = companies.update_person(db.session, person, fields, now(), today())
        except CompanyError as error:
            db.session.rollback()
            texts = {
                "invalid-email": (form.email, _("Please enter a valid e-mail address.")),
                "email-taken": (form.email, _("Someone has this e-mail address already.")),
                "personnel-number-taken": (
                    form.personnel_number,
                    _("Someone in this company has this personnel number already."),
                ),
            }
            target, text = texts.get(error.code, (form.department, error.code))
            target.errors = [*target.errors, text]
        else:
            log_change("person.update", company.id, subject=person.display_name,
                       subject_id=person.id, changes=changed(before, person))  # fmt: skip
            db.session.commit()
            flash(
                _("%(name)s is moved; the new department's assignments apply.",
                  name=person.display_name)
                if moved
                else _("The changes to %(name)s are saved.", name=person.display_name),
                "success",
            )  # fmt: skip
            return redirect(url_for("admin.people", company_id=company.id))
    external = records_pages.records_of(person)
    return render_template(
        "admin/person_edit.html",
        form=form,
        company=company,
        person=person,
        records=external,
        module_titles=records_pages.module_titles(external),
        place=admin_records.place(company.id),
        **records_pages.labels(),
    ), (422 if form.errors else 200)
