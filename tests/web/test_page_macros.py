"""What the Jinja macros write: the matrix's cells and a person's states in the page's
language (also what only a screen reader reads), and a cloze question's fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.clock import today
from lms.content.importer import import_course
from lms.models import Course
from lms.services import assignments
from tests.unit.test_assignments import complete
from tests.unit.test_course_parser import write_course

DE = {"Accept-Language": "de"}
EN = {"Accept-Language": "en"}
# The cell of a person without the module: a dash, and its words for a screen reader.
EMPTY = '<td class="c--none">–<span class="visually-hidden"> {}</span></td>'


@pytest.fixture
def course(app, db, tmp_path):
    folder = write_course(tmp_path, {})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    return db.scalar(select(Course).where(Course.slug == "testkurs"))


def _text(client, url, headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_matrix_and_a_persons_page_name_every_state_in_the_pages_language(
    client, db, world, login, course
):
    a = world.a
    late, waiting, done = a.employees
    due_soon = today() + timedelta(days=10)
    for person, due in ((late, today() - timedelta(days=1)), (waiting, due_soon), (done, due_soon)):
        assignments.assign_to_people(db, a.manager, course, [person], due, "", datetime.now(UTC))
    complete(db, done, course, datetime.now(UTC), datetime.now(UTC) + timedelta(days=365))
    login(a.manager)
    for headers, words in (
        (DE, ("überfällig", "nicht begonnen", "abgeschlossen", "fällig am", "gültig bis",
              "nicht zugewiesen")),
        (EN, ("overdue", "not started", "completed", "due on", "valid until", "not assigned")),
    ):  # fmt: skip
        overdue, not_started, completed, due_on, valid_until, not_assigned = words
        matrix = _text(client, "/team/", headers)
        assert f'<span aria-hidden="true">✕</span> {overdue}<small>{due_on} ' in matrix
        assert f'<span aria-hidden="true">○</span> {not_started}<small>{due_on} ' in matrix
        assert f'<span aria-hidden="true">✓</span> {completed}<small>{valid_until} ' in matrix
        # The manager has no assignment: their row's cell says so in words.
        assert EMPTY.format(not_assigned) in matrix
        person = _text(client, f"/team/people/{late.id}", headers)
        assert f'<span aria-hidden="true">✕</span> {overdue}</span>' in person
        assert f'<span class="cell__date">{due_on} ' in person


def test_the_matrix_cells_escape_what_people_typed(client, db, world, login, course):
    a = world.a
    a.employees[0].display_name = '<img src=x onerror="alert(1)">'
    a.departments[0].name = "<b>Lager</b>"
    db.flush()
    assignments.assign_to_people(
        db, a.manager, course, [a.employees[0]], today(), "", datetime.now(UTC)
    )
    login(a.manager)
    matrix = _text(client, "/team/", EN)
    assert "<img" not in matrix and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in matrix
    assert "<b>Lager" not in matrix and "<td>&lt;b&gt;Lager&lt;/b&gt;</td>" in matrix


CLOZE = {
    "id": 7,
    "type": "cloze",
    "prompt_html": "<p>Der <em>{{gap:0}}</em> ist „rot“, {{gap:1}}{{gap:5}} und {{gap:2}}.</p>",
    "gaps": [
        {"kind": "choice", "options": ["<b>A &amp; B</b>", 'C "d"']},
        {"kind": "text"},
        {"kind": "choice", "options": ["eins", "zwei"]},
    ],
}


def _cloze(app, headers, disabled=False, saved=None):
    with app.test_request_context(headers=headers):
        macros = app.jinja_env.get_template("macros/questions.html").module
        return str(macros.cloze_prompt(CLOZE, "q-7", disabled, saved))


def test_a_cloze_question_gets_a_field_in_each_gap_in_the_pages_language(app):
    html = _cloze(app, DE, saved={"q-7-0": "1", "q-7-1": '"><script>x</script>', "q-7-2": 0})
    # The sanitised prompt stays; a mark without its gap shows nothing.
    assert html.startswith("<p>Der <em><select") and "</select></em> ist „rot“, <input" in html
    assert "{{gap" not in html and html.endswith("</select>.</p>")
    assert (
        '<select name="q-7-0" aria-label="Lücke 1"><option value="">Bitte auswählen</option>'
        in html
    )
    # Options show plain text, escaped; what was chosen or typed before stays.
    assert (
        '<option value="0">A &amp; B</option><option value="1" selected>C &#34;d&#34;</option>'
        in html
    )
    assert (
        '<input type="text" class="gap" name="q-7-1" aria-label="Lücke 2"'
        ' value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;" autocomplete="off">'
    ) in html
    assert '<option value="0" selected>eins</option>' in html
    english = _cloze(app, EN, disabled=True)
    assert 'aria-label="Gap 1" disabled><option value="">Please choose</option>' in english
    assert 'value="" autocomplete="off" disabled>' in english and " selected" not in english
