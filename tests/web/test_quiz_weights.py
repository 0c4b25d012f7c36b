"""A knowledge check with weighted answers and partial credit for numbers: the page shows
no weights before the hand-in; the result gives the partial points and, with the answers,
what each answer was worth."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from lms.content.importer import import_course
from tests.unit.test_answer_weights import WEIGHTED
from tests.unit.test_course_parser import quiz, write_course
from tests.web.test_quiz import hand_in, review_items

EN = {"Accept-Language": "en"}
CHECK = "/learn/courses/testkurs/check"


@pytest.fixture
def attempt_url(app, client, db, world, login, tmp_path):
    folder = write_course(tmp_path, {"02-check.md": quiz(WEIGHTED, "pass_mark: 90\n")})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    login(world.a.employees[0])
    client.post("/learn/courses/testkurs/enroll")
    response = client.post(f"{CHECK}/attempts")
    assert response.status_code == 302
    return response.location


def test_the_page_shows_no_weights_before_the_hand_in(client, attempt_url):
    page = client.get(attempt_url, headers=EN).get_data(as_text=True)
    assert "ein grünes Schild" in page and "mit Wasser" in page
    assert not re.search(r"\d\s*%", page)  # neither {50%} nor -100 % nor 80..120 = 50%
    assert "80..120" not in page and "partial" not in page


def test_partial_credit_is_graded_and_explained_on_the_result(client, attempt_url):
    answers = {"q-notausgang": ["0", "3"], "q-fettbrand": "1", "q-hoehe": "110"}
    client.post(attempt_url, data={**answers, "page": "1", "action": "summary"})
    hand_in(client, f"{attempt_url}/summary")

    page = client.get(f"{attempt_url}/result", headers=EN).get_data(as_text=True)

    # 0.5 + 0.26 + 0.5 of 3 points
    assert "42 % of the points (1.26 of 3)" in page.replace("\u00a0", " ")
    notausgang, fettbrand, hoehe = (item.replace("\u00a0", " ") for item in review_items(page))
    assert "partly right" in notausgang and "0.5 of 1 points" in notausgang
    assert (
        '<dt>Correct answer:</dt> <dd><ul class="review__list"><li><span lang="de">ein grünes '
        'Schild</span> <span class="muted">(50 % of the points)</span></li><li><span lang="de">'
        'freier Weg</span> <span class="muted">(50 % of the points)</span></li></ul></dd> '
        '<dt>Other answers that count:</dt> <dd><ul class="review__list"><li><span lang="de">'
        'ein abgeschlossenes Tor</span> <span class="muted">(takes off 100 % of the points)'
        "</span></li></ul></dd>"
    ) in notausgang
    assert "Kaffeeautomat</span> <span" not in notausgang  # worth nothing: not listed
    assert "0.26 of 1 points" in fettbrand
    assert (
        '<dt>Correct answer:</dt> <dd><span lang="de">mit einem Fettbrandlöscher (Klasse F)'
        '</span></dd> <dt>Other answers that count:</dt> <dd><ul class="review__list"><li>'
        '<span lang="de">mit Wasser</span> <span class="muted">(takes off 50 % of the points)'
        '</span></li><li><span lang="de">mit einem Feuerlöscher der Klasse A</span> <span '
        'class="muted">(partly right: 25.5 % of the points)</span></li></ul></dd>'
    ) in fettbrand
    assert "0.5 of 1 points" in hoehe
    assert (
        '<dd>100 ± 5<ul class="review__list"><li>partly right: 80 to 120 (50 % of the points)'
        "</li><li>partly right: 70 to 130 (25 % of the points)</li><li>also accepted: 150</li>"
        "</ul></dd>"
    ) in hoehe


def test_the_answers_of_a_passed_attempt_are_not_repeated(client, attempt_url):
    answers = {"q-notausgang": ["0", "1", "3"], "q-fettbrand": "2", "q-hoehe": "150"}
    client.post(attempt_url, data={**answers, "page": "1", "action": "summary"})
    hand_in(client, f"{attempt_url}/summary")
    page = client.get(f"{attempt_url}/result", headers=EN).get_data(as_text=True)
    # A wrong tick that costs nothing still gives full marks.
    assert "Passed" in page and "(3 of 3)" in page
    assert "Correct answer:" not in page and "Other answers that count:" not in page
