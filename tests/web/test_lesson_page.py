"""The lesson page, the learner's most requested page: its queries and its markup (issue 4)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from lms.content.importer import import_course
from lms.learn.forms import FeedbackForm
from tests.factories import make_user
from tests.unit.test_course_parser import write_course

LESSON = "/learn/courses/testkurs/einstieg"
MORE = "---\ntype: lesson\ntitle: Mehr\nminutes: 5\n---\nNoch mehr Text.\n"


@pytest.fixture
def learner(app, client, db, world, login, tmp_path):
    """A logged-in learner enrolled on a course of one lesson."""
    with app.test_request_context():
        import_course(db, write_course(tmp_path, {}), datetime.now(UTC))
    user = make_user(db, world.a.company)
    login(user)
    assert client.post("/learn/courses/testkurs/enroll").status_code == 302
    return user


def test_a_lesson_page_needs_three_queries(client, learner, count_queries):
    """The user with company, department and roles; the learner's enrolment with
    course, version and feedback on the unit; their progress. The unit itself comes
    from the cache (the version's rendered units, issue 17)."""
    client.get(LESSON)
    count_queries.statements.clear()
    assert client.get(LESSON).status_code == 200
    assert count_queries.count == 3, count_queries.statements
    client.post(f"{LESSON}/done")
    client.post(f"{LESSON}/feedback", data={"rating": "5", "comment": "Klar erklärt."})
    client.get(LESSON)  # shows the thanks
    count_queries.statements.clear()
    page = client.get(LESSON).get_data(as_text=True)
    assert count_queries.count == 3, count_queries.statements
    assert 'checked id="rating-4"' in page and "Klar erklärt." in page


def _csrf_tokens(page: str) -> set[str]:
    return set(re.findall(r'name="csrf_token"[^>]* value="([^"]+)"', page))


def test_a_lesson_page_shows_each_learner_only_their_own(app, client, db, world, login, learner):
    """Two learners with the same rating share the cached unit, never their comments,
    tokens or status."""
    client.post(f"{LESSON}/feedback", data={"rating": "4", "comment": "Nur von mir."})
    client.post(f"{LESSON}/done")
    client.get(LESSON)
    mine = client.get(LESSON).get_data(as_text=True)
    other_client = app.test_client()
    other = make_user(db, world.a.company)
    login(other, target=other_client)
    other_client.post("/learn/courses/testkurs/enroll")
    other_client.post(f"{LESSON}/feedback", data={"rating": "4", "comment": "Meins."})
    other_client.get(LESSON)
    theirs = other_client.get(LESSON).get_data(as_text=True)
    assert "Nur von mir." in mine and "Nur von mir." not in theirs and "Meins." in theirs
    assert _csrf_tokens(mine).isdisjoint(_csrf_tokens(theirs))
    assert f"{LESSON}/done" not in mine and f"{LESSON}/done" in theirs
    assert other.display_name not in mine
    # Nothing the other learner did changes this learner's page.
    again = client.get(LESSON).get_data(as_text=True)
    assert "Nur von mir." in again and "Meins." not in again


def test_a_lesson_page_follows_the_language(client, learner):
    client.get(LESSON)
    assert "Als erledigt markieren" in client.get(LESSON).get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": LESSON})
    page = client.get(LESSON).get_data(as_text=True)
    assert "Mark as done" in page and '<html lang="en">' in page


def test_feedback_on_another_unit_is_not_shown(app, db, client, learner, tmp_path):
    client.post(f"{LESSON}/feedback", data={"rating": "2", "comment": "Zu lang."})
    with app.test_request_context():
        import_course(
            db,
            write_course(tmp_path / "v2", {"02-mehr.md": MORE}),
            datetime.now(UTC),
        )
    client.post("/learn/courses/testkurs/move")
    response = client.get("/learn/courses/testkurs/mehr")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _rating_options(page) and "checked" not in _rating_options(page)
    assert "Zu lang." not in page
    assert "Zu lang." in client.get(LESSON).get_data(as_text=True)


def _rating_options(page: str) -> str:
    return "".join(re.findall(r'<span class="rating__option">(.*?)</span>', page))


def _wtforms_rating(app, **data: str) -> str:
    """The rating options as WTForms' own radio widget writes them."""
    with app.test_request_context(method="POST", data=data):
        form = FeedbackForm()
        form.validate()
        return "".join(f"{option()} {option.label()}" for option in form.rating)


def test_the_rating_options_are_the_markup_of_wtforms(app, client, learner):
    page = client.get(LESSON).get_data(as_text=True)
    assert _rating_options(page) == _wtforms_rating(app)
    assert "checked" not in _rating_options(page)

    client.post(f"{LESSON}/feedback", data={"rating": "4", "comment": ""})
    page = client.get(LESSON).get_data(as_text=True)
    assert _rating_options(page) == _wtforms_rating(app, rating="4")
    assert 'checked id="rating-3"' in page

    page = client.post(f"{LESSON}/feedback", data={"rating": "9"}).get_data(as_text=True)
    assert _rating_options(page) == _wtforms_rating(app, rating="9")


def test_templates_translate_in_the_locale_in_force(app):
    template = "{{ _('Log out') }}"
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert render_template_string(template) == "Abmelden"
        with force_locale("en"):
            assert render_template_string(template) == "Log out"
        assert render_template_string(template) == "Abmelden"


@pytest.mark.parametrize(
    ("status", "word"),
    [
        ("done", "read"),
        ("passed", "passed"),
        ("attended", "attended"),
        ("signed_off", "signed off"),
        ("pending", "pending"),
        ("open", "not started"),
    ],
)
def test_a_unit_status_is_named_in_words(app, status, word):
    template = '{% from "macros/ui.html" import unit_status %}{{ unit_status(status) }}'
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = render_template_string(template, status=status)
    assert re.sub(r"<[^>]+>|[✓○]", "", html).strip() == word


def _comment_field(page: str) -> str:
    return re.search(r"<textarea[^>]*>.*?</textarea>", page, re.S)[0]  # type: ignore[index]


def _wtforms_comment(app, **data: str) -> str:
    """The comment field as WTForms' own textarea widget writes it, with the
    attributes the form macro `field` gives it."""
    with app.test_request_context(method="POST", data=data):
        form = FeedbackForm(meta={"csrf": False})
        form.validate()
        errors = bool(form.comment.errors)
        attrs = {"aria-describedby": "comment-hint comment-error" if errors else "comment-hint"}
        if errors:
            attrs["aria-invalid"] = "true"
        return str(form.comment(**attrs))


def test_the_comment_field_is_the_markup_of_wtforms(app, client, learner):
    page = client.get(LESSON).get_data(as_text=True)
    assert _comment_field(page) == _wtforms_comment(app)

    client.post(f"{LESSON}/feedback", data={"rating": "4", "comment": "Gut & <knapp>"})
    page = client.get(LESSON).get_data(as_text=True)
    assert _comment_field(page) == _wtforms_comment(app, rating="4", comment="Gut & <knapp>")
    assert "Gut &amp; &lt;knapp&gt;</textarea>" in page

    too_long = "x" * 2001
    page = client.post(f"{LESSON}/feedback", data={"rating": "4", "comment": too_long})
    html = page.get_data(as_text=True)
    assert _comment_field(html) == _wtforms_comment(app, rating="4", comment=too_long)
    assert 'aria-invalid="true"' in _comment_field(html) and 'id="comment-error"' in html
    assert 'id="error-summary"' in html and 'href="#comment"' in html
