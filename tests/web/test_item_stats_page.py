"""The trainer's item statistics page of a knowledge check (issue 9).

Who may not see it (learners, managers, anonymous users) is proven for every
route by the walk in tests/web/test_access.py.
"""

from __future__ import annotations

from tests.unit.test_item_stats import (
    ATTEMPTS,
    LEARNER_NAME,
    add_attempt,
    six_attempts,
    stats_quiz,
)

__all__ = ["six_attempts", "stats_quiz"]  # fixtures

EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de"}
STATS = "/author/courses/statskurs/v1/stats/check"


def test_trainer_sees_the_figures_of_every_question(client, world, login, six_attempts):
    login(world.trainer)
    response = client.get(STATS, headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Item statistics: " in page and "Wissenscheck" in page
    for question_id in ("farbe", "merkmale", "begriff", "zettel"):
        assert f'id="q-{question_id}"' in page
    # The question's text and its Markdown source with the file and line.
    assert "Welche Farbe hat ein Feuerlöscher?" in page
    assert "statskurs/02-check.md, line" in page
    # farbe: facility 50 %, discrimination 0.45; a bar and the number per choice.
    assert "50\u00a0%" in page and "0.45" in page
    assert '<progress value="3" max="6" aria-hidden="true">' in page
    assert "50\u00a0% (3)" in page
    # Flags as words with an icon; the most frequent wrong typed answer.
    assert "too easy" in page and "too hard" in page and "negative discrimination" in page
    assert "⚠" in page and "✕" in page
    assert "Fishing" in page and "No answer" in page
    assert "True" in page and "False" in page  # true-false choices in words
    assert LEARNER_NAME not in page and "@example.com" not in page


def test_german_numbers_and_words(client, world, login, six_attempts):
    login(world.trainer)
    page = client.get(STATS, headers=DE).get_data(as_text=True)
    assert "0,45" in page and "-0,32" in page


def test_fewer_than_five_attempts_show_no_figures(client, db, world, login, stats_quiz):
    version, company = stats_quiz
    for answers in ATTEMPTS[:4]:
        add_attempt(db, version, company, answers)
    login(world.trainer)
    page = client.get(STATS, headers=EN).get_data(as_text=True)
    assert page.count("Fewer than 5 attempts: no figures yet.") == 4
    assert "<progress" not in page and "Fishing" not in page
    assert "status--warn" not in page and "status--danger" not in page


def test_without_attempts_the_page_says_so(client, world, login, stats_quiz):
    login(world.trainer)
    page = client.get(STATS, headers=EN).get_data(as_text=True)
    assert "No attempts at this version have been handed in yet." in page


def test_only_quiz_units_of_existing_versions_have_statistics(client, world, login, stats_quiz):
    login(world.trainer)
    assert client.get("/author/courses/statskurs/v1/stats/einstieg").status_code == 404
    assert client.get("/author/courses/statskurs/v1/stats/nichts").status_code == 404
    assert client.get("/author/courses/statskurs/v9/stats/check").status_code == 404
    assert client.get("/author/courses/keinkurs/v1/stats/check").status_code == 404


def test_the_version_preview_links_to_the_statistics(client, world, login, stats_quiz):
    login(world.trainer)
    page = client.get("/author/courses/statskurs/v1/", headers=EN).get_data(as_text=True)
    assert f'href="{STATS}?lang=de"' in page and "Item statistics" in page


def test_learners_may_not_see_it(client, world, login, six_attempts):
    login(world.a.employees[0])
    assert client.get(STATS).status_code == 403


def test_a_deleted_companys_answers_leave_the_figures(
    client, other_client, db, world, login, stats_quiz
):
    from sqlalchemy import select

    from lms.models import ItemStat
    from lms.services import item_stats
    from tests.unit.test_item_stats import stored

    version, _company = stats_quiz
    for answers in ATTEMPTS:
        add_attempt(db, version, world.b.company, answers)
    add_attempt(db, version, world.a.company, {"begriff": ("Vishing", 0)})
    add_attempt(db, version, world.a.company, ATTEMPTS[0])
    company = world.a.company
    login(world.admin)
    client.get(f"/admin/companies/{company.id}/export.json")
    client.post(f"/admin/companies/{company.id}/delete", data={"confirm": company.name})
    db.expunge_all()
    statistics = item_stats.quiz_statistics(db, version.id, "check")
    assert statistics.attempts == 6 and {i.attempts for i in statistics.items} == {6}
    assert stored(db, version.id) == item_stats.recounted(db, version.id, "check")
    assert not [r for r in db.scalars(select(ItemStat.response)) if "Vishing" in r]
    trainer = login(world.trainer, target=other_client)
    page = trainer.get(STATS, headers=EN).get_data(as_text=True)
    assert "Vishing" not in page and "50\u00a0% (3)" in page
