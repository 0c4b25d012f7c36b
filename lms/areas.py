"""Feature pages shared by several areas.

A feature package (`lms.people`, `lms.training_records`, `lms.signoff`, `lms.audit`)
writes its pages once, on a blueprint of its own, and each area registers that
blueprint under itself: `admin.bp.register_blueprint(people.bp, url_prefix=...)`. The
nested blueprint inherits the area's role guard, and its endpoints are named after the
area: "admin.people.edit", "manage.people.edit".

What differs between the areas (whose people a page reaches, where "back" leads) is a
*place*, which each area hands to the feature with `Places.register`; the feature asks
for the place of the current request with `Places.current()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import Blueprint, abort, current_app, g, request, url_for
from flask_login import current_user

from lms.models import Company, User
from lms.permissions import managed_department_ids

P = TypeVar("P")


def area() -> str:
    """The area the current request is in: "admin" for "admin.people.edit"."""
    return (request.blueprint or "").partition(".")[0]


def feature_url(feature: str, name: str, **values: Any) -> str:
    """The URL of a feature's page `name` in the current request's area."""
    return url_for(f"{area()}.{feature}.{name}", **values)


class Places(Generic[P]):
    """The place of each area a feature's blueprint is registered under."""

    def __init__(self) -> None:
        self._builders: dict[str, Callable[[], P]] = {}

    def register(self, area_name: str) -> Callable[[Callable[[], P]], Callable[[], P]]:
        """Decorator: `build` makes the place for requests in `area_name`."""

        def keep(build: Callable[[], P]) -> Callable[[], P]:
            self._builders[area_name] = build
            return build

        return keep

    def current(self) -> P:
        return self._builders[area()]()


def company_in_url(bp: Blueprint) -> None:
    """Let `bp` live below /companies/<company_id>/ in the admin area.

    The id leaves the view's arguments for `g.company_id` (the admin's place reads it
    there), and every URL built to `bp`'s pages while it is set gets it back, so the
    pages and templates never pass it on by hand. Areas without the id in their prefix
    (the manager's own company) are not affected.
    """

    @bp.url_value_preprocessor
    def take_company(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values and "company_id" in values:
            g.company_id = values.pop("company_id")

    @bp.url_defaults
    def give_company(endpoint: str, values: dict[str, Any]) -> None:
        if "company_id" in g and current_app.url_map.is_endpoint_expecting(endpoint, "company_id"):
            values.setdefault("company_id", g.company_id)


@dataclass(frozen=True)
class CompanyPlace:
    """A page about one company as a whole (its reminder settings, its shared devices)."""

    company: Company
    back: str  # where "back" and a saved form lead


def whole_company_places(section: str) -> Places[CompanyPlace]:
    """The places of a company-wide settings page: an admin's company (from the URL),
    back to `#section` of the company's page; a manager's own company, for managers of
    the whole company only (403 for one limited to departments)."""
    places: Places[CompanyPlace] = Places()

    @places.register("admin")
    def _admin() -> CompanyPlace:
        from lms.db import db

        company = db.session.get(Company, g.get("company_id"))
        if company is None:
            abort(404)
        back = url_for("admin.company", company_id=company.id) + f"#{section}"
        return CompanyPlace(company, back)

    @places.register("manage")
    def _manager() -> CompanyPlace:
        manager: User = current_user._get_current_object()
        if manager.company is None:
            abort(404)
        if managed_department_ids(manager) is not None:
            abort(403)  # the page holds for the whole company
        return CompanyPlace(manager.company, url_for("manage.index"))

    return places
