"""People of one company in the browser, shared by the admin's pages (any company) and
the manager's (their own company, if it lets managers manage its people): the list with
search, filters and pages; adding someone with an invitation; editing; deactivating and
reactivating; sending an invitation or a password link again.

The pages live on one blueprint, `bp`, which the admin area registers below
/companies/<id>/people and the manager's area at /people ("admin.people.edit",
"manage.people.edit"). Each area registers its `PeoplePlace` with `places`.

A `PeoplePlace` says whose people a page reaches and which roles the actor may give:
an admin reaches everyone of the company and gives the employee and manager roles; a
manager of the whole company reaches its employees and managers; a manager limited to
departments reaches only the employees of those departments. For managers, people
holding a role they may not give (trainer, admin, for a limited manager also manager)
are out of reach (404); nobody changes or deactivates their own account here (403).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, func, or_, select
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional

from lms.areas import Places, area, company_in_url, feature_url
from lms.audit.trail import current_actor
from lms.clock import now, today
from lms.db import db
from lms.forms import CheckboxListField, Form
from lms.input_checks import number_arg
from lms.models import Company, Department, Role, TokenPurpose, User, UserRole
from lms.permissions import departments_of, get_for_company
from lms.services import account_mail, accounts, companies, throttling
from lms.services.account_mail import send_reset_mail
from lms.services.companies import CompanyError, PersonFields

PAGE_SIZE = 50

bp = Blueprint("people", __name__)
company_in_url(bp)

# Each area's place (`lms.admin.people`, `lms.manage.people`).
places: Places[PeoplePlace] = Places()


class _NameAndAddress(Form):
    display_name = StringField(
        _l("Name"),
        validators=[InputRequired(message=_l("Please enter the name.")), Length(max=200)],
    )
    # Optional: a learner may have none (issue 19) and signs in with the company's
    # sign-in code, their personnel number and a PIN; the services refuse an empty
    # address for managers and for anyone without a personnel number.
    email = EmailField(
        _l("E-mail address"),
        validators=[
            Optional(),
            Email(message=_l("Please enter a valid e-mail address.")),
            Length(max=254),
        ],
        description=_l(
            "Leave empty for employees without an e-mail address – they sign in with "
            "their personnel number and a PIN or a login card."
        ),
    )
    personnel_number = StringField(
        _l("Personnel number"),
        validators=[Length(max=50)],
        description=_l("Needed for employees without an e-mail address: they sign in with it."),
    )


def address_error(code: str) -> str | None:
    """The words for a refused address or personnel number (`accounts.address_problem`,
    a taken address or number), or None for other codes."""
    return {
        "invalid-email": _("Please enter a valid e-mail address."),
        "email-taken": _("Someone has this e-mail address already."),
        "email-sso-domain": _(
            "This address is at a domain another company signs its people in for: only "
            "that company may have people with it."
        ),
        "email-required": _("Managers, trainers and administrators need an e-mail address."),
        "personnel-number-required": _(
            "Enter a personnel number or an e-mail address: without an address, the "
            "personnel number is how the person signs in."
        ),
        "personnel-number-taken": _("Someone in this company has this personnel number already."),
    }.get(code)


def _show_refusal(form: _NameAndAddress, code: str) -> None:
    """Put the words for a refused address or number under the field they concern."""
    target = form.personnel_number if code.startswith("personnel-number") else form.email
    target.errors = [*target.errors, address_error(code) or code]


ROLE_CHOICES = [
    SelectChoice(Role.LEARNER.value, _l("Employee")),
    SelectChoice(Role.MANAGER.value, _l("Manager")),
]


class PersonForm(_NameAndAddress):
    department = SelectField(_l("Department"), coerce=int)
    roles = CheckboxListField(
        _l("Roles"), coerce=str, choices=ROLE_CHOICES, default=[Role.LEARNER.value]
    )
    language = SelectField(
        _l("Language of the invitation"),
        choices=[SelectChoice("de", "Deutsch"), SelectChoice("en", "English")],
        default="de",
    )


class PersonEditForm(_NameAndAddress):
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
            value: int | None = args.get(name, type=number_arg)
            return value

        role = args.get("role", "")
        status = args.get("status", "")
        return cls(
            # No line break: the search compares the fields joined by line breaks.
            text=args.get("q", "").replace("\r", " ").replace("\n", " ").strip()[:100],
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


def people_query(place: PeoplePlace, filters: PeopleFilters) -> Select[User]:
    query = select(User).where(User.company_id == place.company.id)
    if place.department_ids is not None:
        query = query.where(User.department_id.in_(place.department_ids))
    if place.hidden_roles:
        query = query.where(~User.role_rows.any(UserRole.role.in_(place.hidden_roles)))
    if filters.text:
        typed = filters.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{typed}%"
        if db.session.get_bind().dialect.name == "sqlite":
            # SQLite's LIKE ignores case itself (ASCII letters only, as its lower()
            # does): three LIKEs on the plain columns are its quickest way.
            fields = (User.display_name, User.email, User.personnel_number)
            query = query.where(or_(*(field.like(pattern, escape="\\") for field in fields)))
        else:
            # PostgreSQL: one stored column in lower case (`User.search_text`), since
            # lower() or ILIKE per person and field made a search of 5,000 people
            # cost it three times as much.
            query = query.where(User.search_text.like(pattern, escape="\\"))
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


@dataclass(frozen=True)
class PeoplePlace:
    """Whose people a page reaches, which roles the actor gives, and where the pages
    link to beyond the blueprint's own."""

    company: Company
    actor: User
    department_ids: list[int] | None  # None: the whole company
    grants: frozenset[Role]  # the roles the actor may give and take
    hidden: frozenset[Role]  # holders of these roles are out of reach
    home: tuple[str, str] = ("", "")  # the link back: (url, label)
    import_url: str | None = None  # the import from a spreadsheet, where the area has one
    edit_context: Callable[[User], dict[str, Any]] = lambda person: {}
    # Whether the actor changes the e-mail address of an account in use (one with a
    # password): an admin does; a manager could otherwise redirect a password link to
    # themselves and take the account over.
    changes_used_addresses: bool = True

    def url(self, name: str, **values: Any) -> str:
        """The address of the blueprint's page `name` ("index", "edit", ...) in this area."""
        return feature_url("people", name, **values)

    @property
    def hidden_roles(self) -> list[str]:
        return sorted(role.value for role in self.hidden)

    def departments(self) -> list[Department]:
        return departments_of(db.session, self.company.id, self.department_ids)

    def person(self, user_id: int) -> User:
        """A person of the company within reach, or 404; the actor themselves: 403."""
        person = get_for_company(db.session, User, user_id, self.company.id)
        if self.department_ids is not None and person.department_id not in self.department_ids:
            abort(404)
        if any(role.value in self.hidden_roles for role in person.roles):
            abort(404)
        if person.id == self.actor.id:
            abort(403)
        if person.erased_at is not None:
            abort(404)  # an erased person's pseudonymised record is never revived
        return person


def _department_choices(place: PeoplePlace, departments: list[Department]) -> list[SelectChoice]:
    choices = [SelectChoice(d.id, d.name) for d in departments]
    if place.department_ids is None:
        choices.insert(0, SelectChoice(0, _("– none –")))
    return choices


@dataclass(frozen=True)
class ListRow:
    """One person in the list: what its row shows, read as plain columns."""

    id: int
    display_name: str
    email: str | None
    personnel_number: str | None
    is_active: bool
    department_id: int | None
    last_login_at: datetime | None
    roles: list[Role]  # in order


def _list_rows(query: Select[User], filters: PeopleFilters) -> tuple[list[ListRow], int]:
    """The page's people in order with their roles, and how many match in all.

    One statement and plain columns: the page's ids are picked from narrow rows
    (sorting whole rows made page 50 of 5,000 people take 9 ms instead of 5 ms on
    SQLite), then their rows and roles are joined to them. A search reads every row
    anyway, so its count comes along in the same pass; otherwise the count is a
    subquery of its own. Five statements and fifty ORM objects with their roles
    made this page a third slower on PostgreSQL.
    """
    page = query.with_only_columns(User.id).order_by(User.display_name, User.id)
    page = page.limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)
    total: ColumnElement[int]
    if filters.text:
        chosen = page.add_columns(func.count().over().label("total")).subquery()
        total = chosen.c.total
    else:
        chosen = page.subquery()
        counted = query.with_only_columns(func.count(User.id)).correlate(None)
        total = counted.scalar_subquery()
    found = db.session.execute(
        select(
            User.id,
            User.display_name,
            User.email,
            User.personnel_number,
            User.is_active,
            User.department_id,
            User.last_login_at,
            UserRole.role,
            total.label("total"),
        )
        .join(chosen, chosen.c.id == User.id)
        .outerjoin(UserRole, UserRole.user_id == User.id)
        .order_by(User.display_name, User.id, UserRole.role)
    ).all()
    rows: list[ListRow] = []
    for row in found:
        if not rows or rows[-1].id != row.id:
            rows.append(
                ListRow(
                    id=row.id,
                    display_name=row.display_name,
                    email=row.email,
                    personnel_number=row.personnel_number,
                    is_active=row.is_active,
                    department_id=row.department_id,
                    last_login_at=row.last_login_at,
                    roles=[],
                )
            )
        if row.role is not None:
            rows[-1].roles.append(Role(row.role))
    if found:
        return rows, found[0].total
    # A page past the end: nobody on it, and the count on its own.
    return rows, db.session.scalar(query.with_only_columns(func.count(User.id))) or 0


@bp.get("")
def index() -> ResponseReturnValue:
    """The list, with search, filters and pages."""
    place = places.current()
    filters = PeopleFilters.from_args(request.args)
    query = people_query(place, filters)
    rows, total = _list_rows(query, filters)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    departments = place.departments()  # for the filter; the rows' names come from it too
    return render_template(
        "people/list.html",
        place=place,
        company=place.company,
        rows=rows,
        department_names={d.id: d.name for d in departments},
        total=total,
        filters=filters,
        pages=pages,
        departments=departments,
        shown_roles=[r for r in Role if r.value not in place.hidden_roles],
    )


def _login_cards_url(company: Company) -> str | None:
    """The area's page of login cards and invitation letters (lms/login_cards), where
    a person without an address gets in; None while the area has none."""
    endpoint = f"{area()}.login_cards.index"
    if endpoint not in current_app.view_functions:
        return None
    if current_app.url_map.is_endpoint_expecting(endpoint, "company_id"):
        return url_for(endpoint, company_id=company.id)
    return url_for(endpoint)


def _invite_lifetime() -> timedelta:
    return timedelta(days=current_app.config["INVITE_TOKEN_DAYS"])


@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    """Add someone, who is invited by e-mail."""
    place = places.current()
    company = place.company
    departments = place.departments()
    form = PersonForm()
    form.department.choices = _department_choices(place, departments)
    form.roles.choices = [c for c in ROLE_CHOICES if Role(c.value) in place.grants]
    if request.method == "GET":
        form.language.data = company.default_language
    if form.validate_on_submit():
        department = next((d for d in departments if d.id == form.department.data), None)
        roles = tuple(Role(r) for r in form.roles.data or [Role.LEARNER.value])
        new = accounts.NewPerson(
            email=form.email.data or None,
            display_name=(form.display_name.data or "").strip(),
            roles=roles,
            company=company,
            department=department,
            language=form.language.data,
            personnel_number=(form.personnel_number.data or "").strip() or None,
        )
        try:
            user = companies.add_person(db.session, current_actor(), new, now(), _invite_lifetime())
        except accounts.AccountError as error:
            _show_refusal(form, error.code)
            page = render_template("people/new.html", form=form, company=company, place=place)
            return page, 422
        if user.has_email:
            flash(_("%(name)s is added and invited by e-mail.", name=user.display_name), "success")
            return redirect(place.url("index"))
        # No mail: say how the person gets in (a letter or a card, lms/login_cards).
        flash(
            _("%(name)s is added. Without an e-mail address no invitation is sent: print "
              "an invitation letter or a login card for them.", name=user.display_name),
            "success",
        )  # fmt: skip
        return redirect(place.url("edit", user_id=user.id))
    return render_template("people/new.html", form=form, company=company, place=place)


@bp.post("/<int:user_id>/deactivate")
def deactivate(user_id: int) -> ResponseReturnValue:
    place = places.current()
    person = place.person(user_id)
    companies.deactivate_person(db.session, current_actor(), person, now())
    flash(
        _("%(name)s is deactivated and logged out everywhere.", name=person.display_name),
        "success",
    )
    return redirect(place.url("index"))


@bp.post("/<int:user_id>/reactivate")
def reactivate(user_id: int) -> ResponseReturnValue:
    place = places.current()
    person = place.person(user_id)
    companies.reactivate_person(db.session, current_actor(), person, now(), today())
    flash(_("%(name)s is active again.", name=person.display_name), "success")
    return redirect(place.url("index"))


@bp.post("/<int:user_id>/invite")
def invite(user_id: int) -> ResponseReturnValue:
    """The invitation again, or a password link for someone who accepted it."""
    place = places.current()
    person = place.person(user_id)
    if not person.is_active or not person.has_email:
        abort(404)
    if person.password_hash is None:
        account_mail.invite(db.session, person, now(), _invite_lifetime())
        flash(_("A new invitation is sent to %(email)s.", email=person.email), "success")
    else:
        lifetime = timedelta(hours=current_app.config["RESET_TOKEN_HOURS"])
        raw = accounts.issue_token(db.session, person, TokenPurpose.RESET, now(), lifetime)
        send_reset_mail(db.session, person, raw, now())
        flash(_("A link to set a new password is sent to %(email)s.", email=person.email),
              "success")  # fmt: skip
    return redirect(place.url("index"))


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
def edit(user_id: int) -> ResponseReturnValue:
    place = places.current()
    company = place.company
    person = place.person(user_id)
    departments = place.departments()
    gives_manager = Role.MANAGER in place.grants
    form = PersonEditForm(obj=person if request.method == "GET" else None)
    form.department.choices = _department_choices(place, departments)
    form.managed_departments.choices = [SelectChoice(d.id, d.name) for d in departments]
    if request.method == "GET":
        form.department.data = person.department_id or 0
        form.manager.data = person.has_role(Role.MANAGER)
        form.managed_departments.data = [d.id for d in person.managed_departments]
        form.language.data = person.language or ""
    # In use: a password, or a PIN (an address added by a manager would let them take
    # over a PIN account through the invitation).
    in_use = person.password_hash is not None or person.pin_hash is not None
    address_locked = not place.changes_used_addresses and in_use
    if (
        request.method == "POST"
        and address_locked
        and (form.email.data or "").strip().lower() != (person.email or "")
    ):
        form.email.errors = [_("Only an administrator changes the address of an account in use.")]
    elif form.validate_on_submit():
        by_id = {d.id: d for d in departments}
        manager = bool(form.manager.data) if gives_manager else person.has_role(Role.MANAGER)
        managed = tuple(by_id[i] for i in form.managed_departments.data or [] if i in by_id)
        if not gives_manager:
            managed = tuple(person.managed_departments)
        fields = PersonFields(
            display_name=form.display_name.data or "",
            email=form.email.data or None,
            personnel_number=form.personnel_number.data,
            department=by_id.get(form.department.data or 0),
            manager=manager,
            managed_departments=managed,
            language=form.language.data or None,
        )
        try:
            moved = companies.update_person(
                db.session, current_actor(), person, fields, now(), today()
            )
        except CompanyError as error:
            if error.code == "email-required":
                # Refused for the manager role asked for: said at the address.
                form.email.errors = [*form.email.errors, _(
                    "A manager needs an e-mail address. Enter one, or leave "
                    "the manager role unticked."
                )]  # fmt: skip
            elif address_error(error.code) is not None:
                _show_refusal(form, error.code)
            else:
                form.department.errors = [*form.department.errors, error.code]
        else:
            flash(
                _("%(name)s is moved; the new department's assignments apply.",
                  name=person.display_name)
                if moved
                else _("The changes to %(name)s are saved.", name=person.display_name),
                "success",
            )  # fmt: skip
            return redirect(place.url("index"))
    return render_template(
        "people/edit.html",
        form=form,
        company=company,
        person=person,
        place=place,
        gives_manager=gives_manager,
        failed_sign_ins=throttling.recent_failures(db.session, person.id, now()),
        login_cards_url=None if person.has_email else _login_cards_url(company),
        **place.edit_context(person),
    ), (422 if form.errors else 200)
