"""Signing in with a card, and the cards of a company's people.

`bp` (on the app, public): the card's address /k/<secret> (what the QR code holds),
the confirmation and PIN steps after it, and /card to type the short code.
`area_bp` (under the manager's /team/login-cards and the admin's
/admin/companies/<id>/login-cards): choosing people and printing their cards or
invitation letters, revoking a card. It reaches the people the area's people pages
reach (`lms.people.views.PeoplePlace`): for managers only where their company lets
them manage people, and only their departments' employees if they are limited.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import or_, select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response
from wtforms import (
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, Length

from lms.areas import area, company_in_url, feature_url
from lms.audit.trail import current_actor, request_network
from lms.auth import signing_in
from lms.clock import now, today
from lms.db import db
from lms.forms import Form
from lms.input_checks import number_arg
from lms.login_cards import pdf, service
from lms.login_cards.service import Outcome
from lms.models import User, UserRole
from lms.models.shop_floor import CardKind, LoginCard, LoginCardUse, SharedDevice
from lms.people import views as people_views
from lms.permissions import get_for_company, get_person_for_manager, public
from lms.pins.service import ROLES_WITHOUT_PIN, may_use_pin
from lms.redirects import safe_next
from lms.security import limiter
from lms.services import throttling
from lms.shared_devices.cookie import current_device

bp = Blueprint("cards", __name__)
area_bp = Blueprint("login_cards", __name__)
company_in_url(area_bp)

# The pages with the camera scanner may use the camera (of this site only); every
# other answer keeps `lms.security`'s "camera=()".
CAMERA_ALLOWED = "camera=(self), microphone=(), geolocation=()"
# How long a scanned card waits for its confirmation or its PIN in the session.
PENDING_SECONDS = 10 * 60
SCANNED_KEY = "card_scanned"  # {"card": id, "at": ...}: scanned, not yet confirmed
PIN_KEY = "card_pin"  # {"card": id, "at": ...}: the card is good, its PIN is asked


def allow_camera(response: Response) -> Response:
    """Let a page use the camera (of this site only)."""
    response.headers["Permissions-Policy"] = CAMERA_ALLOWED
    return response


@bp.app_template_global("card_scanner_here")
def card_scanner_here() -> str:
    """Called by `login_cards/_scan.html`: the page being rendered holds the scanner,
    so its answer lets the camera be used (`_camera_for_the_scanner`), wherever the
    partial is included (the /card page, a shared device's start screen)."""
    g.card_scanner = True
    return ""


@bp.after_app_request
def _camera_for_the_scanner(response: Response) -> Response:
    if g.get("card_scanner"):
        allow_camera(response)
    return response




def _failed(response: Response) -> bool:
    # Only failures count towards the per-address limit; a sign-in redirects.
    return response.status_code != 302


def _ip_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_IP"])


# --- Signing in with a card -------------------------------------------------------


def _used_letter_text() -> str:
    return _(
        "This invitation letter has been used already. Sign in with your login "
        "card or your PIN, or ask your manager for a new letter."
    )


def _refusal_text(card: LoginCard, outcome: str) -> str:
    if outcome == Outcome.SHARED_ONLY:
        return _("Your company allows signing in with a login card only on its shared devices.")
    if card.kind == CardKind.LETTER:
        if outcome == Outcome.EXPIRED:
            return _("This invitation letter has expired. Please ask your manager for a new one.")
        if card.revoked_reason == "used":
            return _used_letter_text()
        return _(
            "This invitation letter is no longer valid. Please ask your manager for a new one."
        )
    return _("This card is blocked. Please contact your manager.")


def _refuse(
    card: LoginCard, outcome: str, device: SharedDevice | None, text: str | None = None
) -> ResponseReturnValue:
    """Log the refused use (kept whatever the answer) and say why, kindly."""
    with db.writing() as writing:
        service.log_use(
            writing, writing.get_one(LoginCard, card.id), outcome, now(),
            network=request_network(), shared_device_id=device.id if device else None,
        )  # fmt: skip
    text = text or _refusal_text(card, outcome)
    return render_template("login_cards/refused.html", text=text), 403


def _unknown_card() -> ResponseReturnValue:
    page = render_template(
        "login_cards/refused.html",
        text=_("This card is not known. Please type the code printed on it, or ask your manager."),
    )
    return page, 404


def _sign_in_with(card_id: int) -> ResponseReturnValue:
    """Sign in the holder of a found card, or ask their PIN, or refuse: the one way
    every scanned, confirmed or typed card goes. Call it with the request's
    transaction ended."""
    at = now()
    with db.reading():
        card = db.session.get_one(LoginCard, card_id)
        device = current_device()
        holder = card.user
        on_shared_device = device is not None and device.company_id == card.company_id
        problem = service.refusal(card, at)
        company = holder.company
        if (
            problem is None
            and card.kind == CardKind.CARD
            and not on_shared_device
            and company is not None
            and company.pin_only_on_shared_devices
        ):
            problem = Outcome.SHARED_ONLY
        asks_pin = (
            card.kind == CardKind.CARD and not on_shared_device and holder.pin_hash is not None
        )
    device_id = device.id if on_shared_device and device is not None else None
    if problem is not None:
        return _refuse(card, problem, device if on_shared_device else None)
    if asks_pin:
        with db.writing() as writing:
            service.log_use(
                writing, writing.get_one(LoginCard, card.id), Outcome.PIN_ASKED, at,
                network=request_network(),
            )  # fmt: skip
        session.pop(SCANNED_KEY, None)
        session[PIN_KEY] = {"card": card.id, "at": int(time.time())}
        return redirect(url_for("cards.pin"))
    return _complete(card, holder, device_id)


def _complete(card: LoginCard, holder: User, device_id: int | None) -> ResponseReturnValue:
    """The card (and PIN, if asked) was good: log the use and start the session, in
    the request's transaction (committed with the answer, as the password sign-in's)."""
    at = now()
    mine = db.session.get_one(LoginCard, card.id)
    if mine.kind == CardKind.LETTER and not service.use_letter(db.session, mine, at):
        # Another request used the letter a moment ago.
        db.session.rollback()
        return _refuse(card, Outcome.REVOKED, None, _used_letter_text())
    service.log_use(
        db.session, mine, Outcome.SIGNED_IN, at,
        network=request_network(), shared_device_id=device_id,
    )  # fmt: skip
    signing_in.sign_in(holder, remember=False)
    if mine.kind == CardKind.LETTER or holder.pin_hash is None:
        # The first sign-in from a card or a letter: the person chooses a PIN first.
        session["must_choose_pin"] = True
    return redirect(url_for("main.index"))


def _pending(key: str) -> dict[str, Any] | None:
    """What the session keeps under `key` for the next step, if not too old; else None
    (and it is dropped)."""
    pending = session.get(key)
    if isinstance(pending, dict) and int(time.time()) - int(pending.get("at", 0)) < PENDING_SECONDS:
        return pending
    session.pop(key, None)
    return None


@bp.route("/k/<secret>", methods=["GET", "POST"])
@public
@limiter.limit(
    _ip_limit, methods=["POST"], key_func=request_network, deduct_when=_failed, scope="card-ip"
)
def scan_target(secret: str) -> ResponseReturnValue:
    """The address in a card's QR code. Opening it (a phone's camera app) notes the
    card in the session and moves on to a confirmation page, so the secret leaves
    the address bar and a link prefetcher spends no letter; the scanner on the page
    posts it directly."""
    with db.reading():
        card = service.find_by_secret(db.session, secret)
    if card is None:
        return _unknown_card()
    if request.method == "GET":
        session[SCANNED_KEY] = {"card": card.id, "at": int(time.time())}
        return redirect(url_for("cards.confirm"))
    return _sign_in_with(card.id)


@bp.route("/k", methods=["GET", "POST"])
@public
@limiter.limit(
    _ip_limit, methods=["POST"], key_func=request_network, deduct_when=_failed, scope="card-ip"
)
def confirm() -> ResponseReturnValue:
    """The "Sign in as …" button after a card was scanned."""
    scanned = _pending(SCANNED_KEY)
    if scanned is None:
        flash(_("Please scan your card again or type its code."), "info")
        return redirect(url_for("cards.code"))
    with db.reading():
        card = db.session.get(LoginCard, int(scanned.get("card", 0)))
        name = card.user.display_name if card is not None else ""
    if card is None:
        session.pop(SCANNED_KEY, None)
        return _unknown_card()
    if request.method == "POST":  # (CSRF is checked before any view)
        session.pop(SCANNED_KEY, None)
        return _sign_in_with(card.id)
    problem = service.refusal(card, now())
    if problem is not None:
        session.pop(SCANNED_KEY, None)
        return _refuse(card, problem, None)
    return render_template("login_cards/confirm.html", name=name)


class CodeForm(Form):
    code = StringField(
        _l("Code on the card"),
        validators=[InputRequired(message=_l("Please type the code.")), Length(max=40)],
        description=_l("12 letters and digits, e.g. K7QM-3XPA-W9RT"),
    )


def _code_budgets() -> throttling.Budgets:
    return throttling.Budgets(
        per_account=throttling.budgets(current_app.config["CARD_CODE_LIMIT_PER_NETWORK"]),
        per_network=(),
        per_device=(),
    )


@bp.route("/card", methods=["GET", "POST"])
@public
@limiter.limit(
    _ip_limit, methods=["POST"], key_func=request_network, deduct_when=_failed, scope="card-ip"
)
def code() -> ResponseReturnValue:
    """Type the short code printed on a card or letter (or scan the card here)."""
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        network = request_network()
        # A wrong code counts against the network's budget (every address of it),
        # written before the code is looked up and taken back when it was right.
        key = throttling.account_key(str(current_app.secret_key), f"card-code:{network}")
        with db.writing() as writing:
            verdict = throttling.reserve(
                writing, kind="card", account=key, user_id=None, network=network,
                trusted=False, limits_=_code_budgets(), now=now(),
            )  # fmt: skip
        if not verdict.allowed:
            form.code.errors = [
                ngettext(
                    "Too many wrong codes from this network. Please wait %(num)d minute.",
                    "Too many wrong codes from this network. Please wait %(num)d minutes.",
                    verdict.minutes,
                )
            ]
            status = 429
        else:
            with db.reading():
                card = service.find_by_code(db.session, form.code.data or "")
            if card is not None:
                with db.writing() as writing:
                    throttling.forget(writing, verdict)
                return _sign_in_with(card.id)
            throttling.log_failure("card", None, network)
            form.code.errors = [_("This code is not known. Please check it and try again.")]
            status = 422
    return render_template("login_cards/code.html", form=form), status


class PinForm(Form):
    pin = PasswordField(
        _l("PIN"),
        validators=[InputRequired(message=_l("Please enter your PIN.")), Length(max=40)],
        render_kw={"inputmode": "numeric"},
    )


@bp.route("/card/pin", methods=["GET", "POST"])
@public
def pin() -> ResponseReturnValue:
    """The PIN after a card, on a device that is not the company's shared one."""
    pending = _pending(PIN_KEY)
    if pending is None:
        flash(_("Please scan your card again or type its code."), "info")
        return redirect(url_for("cards.code"))
    with db.reading():
        card = db.session.get(LoginCard, int(pending["card"]))
        holder = card.user if card is not None else None
        problem = service.refusal(card, now()) if card is not None else Outcome.REVOKED
    if card is None or holder is None:
        session.pop(PIN_KEY, None)
        return _unknown_card()
    if problem is not None:
        session.pop(PIN_KEY, None)
        return _refuse(card, problem, None)
    form = PinForm()
    status = 200
    if form.validate_on_submit():
        from lms.pins import checking

        result = checking.check_pin(holder, form.pin.data or "")
        if result.ok:
            session.pop(PIN_KEY, None)
            return _complete(card, holder, None)
        form.pin.errors = [result.message]
        status = result.status if result.status >= 400 else 422
    page = render_template("login_cards/pin.html", form=form, name=holder.display_name)
    return page, status


# --- The cards of a company's people ---------------------------------------------


class PrintForm(Form):
    people = SelectMultipleField(coerce=int, validate_choice=False)
    kind = RadioField(
        _l("What to print"),
        choices=[
            SelectChoice(CardKind.CARD.value, _l("Login cards (A4 sheet, 8 per page)")),
            SelectChoice(CardKind.LETTER.value, _l("Invitation letters (one page per person)")),
        ],
        default=CardKind.CARD.value,
    )
    back = HiddenField()


class RevokeForm(Form):
    reason = RadioField(
        _l("Why"),
        choices=[SelectChoice("lost", _l("lost")), SelectChoice("left", _l("left the company"))],
        default="lost",
    )
    back = HiddenField()


@dataclass(frozen=True)
class ListFilters:
    department_id: int | None
    without_email: bool
    select_all: bool

    @classmethod
    def from_args(cls, args: Any) -> ListFilters:
        return cls(
            department_id=args.get("department", type=number_arg),
            without_email=args.get("without_email") == "1",
            select_all=args.get("select") == "all",
        )


def _people(place: people_views.PeoplePlace, filters: ListFilters) -> list[User]:
    """The active people the actor may print cards for, by name."""
    query = people_views.people_query(
        place,
        people_views.PeopleFilters(department_id=filters.department_id, status="active"),
    ).where(User.id != place.actor.id, User.erased_at.is_(None))
    if filters.without_email:
        query = query.where(or_(User.email.is_(None), User.email == ""))
    # Employees only: managers never sign in with a card (`service.holder_may_sign_in`).
    query = query.where(~User.role_rows.any(UserRole.role.in_(list(ROLES_WITHOUT_PIN))))
    return list(db.session.scalars(query.order_by(User.display_name, User.id)))


@area_bp.get("")
def index() -> ResponseReturnValue:
    """Choose people and print their cards or letters."""
    place = people_views.places.current()
    filters = ListFilters.from_args(request.args)
    people = _people(place, filters)
    departments = place.departments()
    form = PrintForm()
    form.people.data = [person.id for person in people] if filters.select_all else []
    return render_template(
        "login_cards/index.html",
        place=place,
        company=place.company,
        people=people,
        cards=service.active_cards(db.session, place.company.id, [p.id for p in people]),
        department_names={d.id: d.name for d in departments},
        departments=departments,
        filters=filters,
        form=form,
    )


@area_bp.post("/print")
def print_cards() -> ResponseReturnValue:
    """The PDF of new cards or letters for the chosen people (earlier ones stop working)."""
    place = people_views.places.current()
    form = PrintForm()
    back = safe_next(form.back.data, feature_url("login_cards", "index"))
    if not form.validate_on_submit():
        abort(400)
    ids = list(dict.fromkeys(form.people.data or []))
    people = [place.person(user_id) for user_id in ids]
    people = [person for person in people if service.holder_may_sign_in(person)]
    if not people:
        flash(_("Please choose at least one active person."), "error")
        return redirect(back)
    kind = form.kind.data or CardKind.CARD.value
    company = place.company
    issued = service.issue_cards(db.session, current_actor(), people, kind, now())
    document = pdf.print_run(
        issued, company, kind, place.actor.display_name,
        scan_url=_card_url, typing_url=url_for("cards.code", _external=True), day=today(),
    )  # fmt: skip
    response = make_response(document)
    response.headers["Content-Type"] = "application/pdf"
    name = "login-cards" if kind == CardKind.CARD else "invitation-letters"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{name}-{today().isoformat()}.pdf"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _card_url(secret: str) -> str:
    return url_for("cards.scan_target", secret=secret, _external=True)


def _blocking_reach() -> tuple[int, Callable[[Any], User], bool]:
    """Whose cards the actor may block: the people pages' reach (who also print), or,
    for a manager whose company keeps its people to admins, the people they see on
    their team pages: a lost card is blocked by the person's own manager at once.
    Returns the company, a person-by-id lookup (404 outside the reach), and whether
    the actor prints cards."""
    try:
        place = people_views.places.current()
    except HTTPException:
        if area() != "manage":
            raise
        manager: User = current_user._get_current_object()
        if manager.company_id is None:
            raise
        return (
            manager.company_id,
            lambda user_id: get_person_for_manager(db.session, manager, user_id),
            False,
        )
    return place.company.id, place.person, True


@area_bp.post("/<int:card_id>/revoke")
def revoke(card_id: int) -> ResponseReturnValue:
    """Block a card at once: lost, or its holder left."""
    company_id, reach, _may_print = _blocking_reach()
    card = get_for_company(db.session, LoginCard, card_id, company_id)
    person = reach(card.user_id)
    form = RevokeForm()
    back = safe_next(form.back.data, feature_url("login_cards", "index"))
    if not form.validate_on_submit() or form.reason.data not in service.REVOKE_REASONS:
        abort(400)
    if service.revoke(db.session, current_actor(), card, form.reason.data or "lost", now()):
        flash(
            _("The login card of %(name)s is blocked.", name=person.display_name)
            if card.kind == CardKind.CARD
            else _("The invitation letter of %(name)s is blocked.", name=person.display_name),
            "success",
        )
    return redirect(back)


# --- A person's cards, on their pages ----------------------------------------------


@dataclass(frozen=True)
class UseRow:
    use: LoginCardUse
    kind: str
    device: str


@dataclass(frozen=True)
class PersonCards:
    """What `login_cards/_person.html` shows of one person."""

    person: User
    card: LoginCard | None  # the working one
    letter: LoginCard | None
    printed_by: dict[int, str]  # user id -> name
    uses: list[UseRow]
    print_url: str | None  # None: the actor blocks cards but does not print them
    revoke_urls: dict[int, str]


@bp.app_template_global("login_card_section")
def login_card_section(person: User) -> PersonCards | None:
    """The person's cards for their page in the admin's or manager's area, or None
    where the actor may not print or block them (the people pages' reach)."""
    if area() not in ("admin", "manage") or not may_use_pin(person):
        return None
    try:
        company_id, reach, may_print = _blocking_reach()
        reach(person.id)
    except HTTPException:
        return None
    cards = service.cards_of(db.session, person)
    working = [c for c in cards if c.revoked_at is None]
    uses = service.recent_uses(db.session, [c.id for c in cards])
    kinds = {c.id: c.kind for c in cards}
    device_ids = {u.shared_device_id for u in uses if u.shared_device_id is not None}
    devices = (
        dict(db.session.execute(select(SharedDevice.id, SharedDevice.name).where(
            SharedDevice.id.in_(device_ids), SharedDevice.company_id == company_id
        )).tuples().all())
        if device_ids
        else {}
    )  # fmt: skip
    printer_ids = {c.printed_by_id for c in working if c.printed_by_id is not None}
    printed_by = (
        dict(db.session.execute(
            select(User.id, User.display_name).where(User.id.in_(printer_ids))
        ).tuples().all())
        if printer_ids
        else {}
    )  # fmt: skip
    return PersonCards(
        person=person,
        card=next((c for c in working if c.kind == CardKind.CARD), None),
        letter=next((c for c in working if c.kind == CardKind.LETTER), None),
        printed_by=printed_by,
        uses=[
            UseRow(u, kinds.get(u.card_id, ""), devices.get(u.shared_device_id or 0, ""))
            for u in uses
        ],
        print_url=feature_url("login_cards", "print_cards") if may_print else None,
        revoke_urls={c.id: feature_url("login_cards", "revoke", card_id=c.id) for c in working},
    )


@bp.app_template_global("login_cards_page")
def login_cards_page() -> str | None:
    """The cards page of the current area, for a link from the people list."""
    if area() not in ("admin", "manage"):
        return None
    return feature_url("login_cards", "index")
