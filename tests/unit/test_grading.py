"""Grading of every question type and of whole quizzes (lms.content.grading)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms.content.grading import GRADERS, MAX_TEXT_LENGTH, Result, grade, grade_quiz
from lms.content.spec import Choice, Gap, Pair, Question, QuestionType, Scoring, TextRule

D = Decimal


def make(qtype: QuestionType, qid: str = "q", **fields: object) -> Question:
    return Question(id=qid, type=qtype, prompt="?", line=1, **fields)  # type: ignore[arg-type]


# The last choice is the correct one, so that Python's index -1 would hit it.
SINGLE = make(
    QuestionType.SINGLE,
    choices=(Choice("6 Zeichen", False), Choice("8 Zeichen", False), Choice("12 Zeichen", True)),
)


def multiple(scoring: Scoring, points: str = "2") -> Question:
    choices = (Choice("a", True), Choice("b", True), Choice("c", True), Choice("d", False))
    return make(QuestionType.MULTIPLE, choices=choices, scoring=scoring, points=D(points))


TRUE_FALSE = make(QuestionType.TRUE_FALSE, answer_bool=False)


def number(answer: str, tolerance: str = "0", unit: str = "") -> Question:
    return make(QuestionType.NUMBER, number=D(answer), tolerance=D(tolerance), unit=unit)


def text(*answers: str, **rule: object) -> Question:
    return make(QuestionType.TEXT, text_rule=TextRule(answers, **rule))  # type: ignore[arg-type]


CLOZE = make(
    QuestionType.CLOZE,
    gaps=(
        Gap(text=TextRule(("Passworts", "Kennworts"))),
        Gap(
            choices=(Choice("harmlos", False), Choice("verdächtig", True), Choice("erlaubt", False))
        ),
        Gap(text=TextRule(("12",))),
    ),
)
MATCHING = make(
    QuestionType.MATCHING,
    points=D(3),
    pairs=(
        Pair("Phishing", "gefälschte Nachricht"),
        Pair("Malware", "schädliche Software"),
        Pair("Backup", "Sicherungskopie"),
    ),
    distractors=("Firmenausweis",),
)
ORDERING = make(QuestionType.ORDERING, points=D(2), items=("a", "b", "c", "d"))

ONE_OF_EACH = (
    SINGLE,
    multiple(Scoring.PARTIAL),
    TRUE_FALSE,
    number("24", "0.5", "Zeichen"),
    text("Phishing", regex="ph?ishing(-?mail)?"),
    CLOZE,
    MATCHING,
    ORDERING,
    make(QuestionType.ESSAY, points=D(3)),  # a trainer grades it: nothing here
)
PART_COUNTS = {
    QuestionType.SINGLE: 3,
    QuestionType.MULTIPLE: 4,
    QuestionType.TRUE_FALSE: 0,
    QuestionType.NUMBER: 0,
    QuestionType.TEXT: 0,
    QuestionType.CLOZE: 3,
    QuestionType.MATCHING: 3,
    QuestionType.ORDERING: 4,
    QuestionType.ESSAY: 0,
}


def check(result: Result, score: str, correct: bool, answered: bool = True) -> None:
    assert (result.score, result.correct, result.answered) == (D(score), correct, answered)
    assert D(0) <= result.score <= result.max


# --- Every type ---------------------------------------------------------------------


def test_every_question_type_has_a_grader() -> None:
    assert set(GRADERS) == set(QuestionType)
    assert {q.type for q in ONE_OF_EACH} == set(QuestionType)


@pytest.mark.parametrize("question", ONE_OF_EACH, ids=lambda q: q.type.value)
def test_an_empty_response_is_unanswered(question: Question) -> None:
    for response in (GRADERS[question.type].empty_response(), None):
        result = grade(question, response)
        check(result, "0", correct=False, answered=False)
        assert result.max == question.points
        assert result.parts == (False,) * PART_COUNTS[question.type]


class Unhashable:
    __hash__ = None  # type: ignore[assignment]


JUNK: tuple[object, ...] = (
    -1,
    3,
    99,
    1.5,
    float("nan"),
    D("NaN"),
    "1",
    "NaN",
    "",
    "  ",
    "x" * 100_000,
    b"2",
    [],
    [[2]],
    [Unhashable()],
    {2: 2},
    {"d"},
    frozenset({-1}),
    [True],
    (None,) * 50,
    ("x" * 100_000,),
    (1.5, b"a", Unhashable()),
    object(),
    Unhashable(),
)


@pytest.mark.parametrize("question", ONE_OF_EACH, ids=lambda q: q.type.value)
@pytest.mark.parametrize("response", JUNK, ids=repr)
def test_malformed_responses_are_wrong_and_never_raise(
    question: Question, response: object
) -> None:
    result = grade(question, response)
    assert not result.correct
    assert D(0) <= result.score < result.max == question.points
    assert len(result.parts) == PART_COUNTS[question.type]


# --- Single and multiple choice ----------------------------------------------------


@pytest.mark.parametrize(
    ("response", "score", "correct", "answered", "parts"),
    [
        (2, "1", True, True, (True, True, True)),
        (0, "0", False, True, (False, True, False)),
        (3, "0", False, True, (True, True, False)),  # out of range
        (-1, "0", False, True, (True, True, False)),  # not Python's "last one"
        (True, "0", False, False, (False, False, False)),  # a bool is not an index
        ("2", "0", False, False, (False, False, False)),
    ],
)
def test_single_choice(
    response: object, score: str, correct: bool, answered: bool, parts: tuple[bool, ...]
) -> None:
    result = grade(SINGLE, response)
    check(result, score, correct, answered)
    assert result.parts == parts


@pytest.mark.parametrize(
    ("scoring", "ticked", "score"),
    [
        (Scoring.ALL_OR_NOTHING, {0, 1, 2}, "2"),
        (Scoring.ALL_OR_NOTHING, [2, 1, 0, 0], "2"),  # any iterable; repeats count once
        (Scoring.ALL_OR_NOTHING, {0, 1}, "0"),
        (Scoring.ALL_OR_NOTHING, {0, 1, 2, 3}, "0"),
        (Scoring.PARTIAL, frozenset({0, 1, 2}), "2"),
        (Scoring.PARTIAL, {0}, "0.67"),  # 1/3 of 2 points
        (Scoring.PARTIAL, {0, 1}, "1.33"),
        (Scoring.PARTIAL, {0, 1, 2, 3}, "1.33"),  # (3 − 1) / 3
        (Scoring.PARTIAL, {0, 3}, "0"),
        (Scoring.PARTIAL, {3}, "0"),  # floor at 0, not −2/3
        (Scoring.PARTIAL, {0, 1, 2, 4}, "0"),  # an index out of range spoils the answer
        (Scoring.PARTIAL, {0, 1, "2"}, "0"),
    ],
)
def test_multiple_choice(scoring: Scoring, ticked: object, score: str) -> None:
    check(grade(multiple(scoring), ticked), score, correct=score == "2")


def test_multiple_choice_parts_say_which_choices_were_treated_right() -> None:
    assert grade(multiple(Scoring.PARTIAL), {0, 3}).parts == (True, False, False, False)


def test_partial_scores_round_half_up_to_cents() -> None:
    result = grade(multiple(Scoring.PARTIAL, points="0.25"), {0, 1})  # 2/3 of 0.25 = 0.1666…
    assert str(result.score) == "0.17"
    result = grade(multiple(Scoring.PARTIAL, points="0.375"), {0})  # 0.125
    assert str(result.score) == "0.13"


def test_full_points_and_max_stay_exact() -> None:
    result = grade(multiple(Scoring.ALL_OR_NOTHING, points="0.335"), {0, 1, 2})
    assert (result.score, result.max, result.correct) == (D("0.335"), D("0.335"), True)


# --- True or false --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "score", "correct", "answered"),
    [
        (False, "1", True, True),
        (True, "0", False, True),
        ("false", "0", False, False),
        (0, "0", False, False),
    ],
)
def test_true_false(response: object, score: str, correct: bool, answered: bool) -> None:
    check(grade(TRUE_FALSE, response), score, correct, answered)


# --- Numbers ------------------------------------------------------------------------------

ZEICHEN = number("24", "0.5", "Zeichen")


@pytest.mark.parametrize(
    ("typed", "right"),
    [
        ("24", True),
        ("  +24  ", True),
        ("24,5", True),  # the upper bound is inside
        ("23.5", True),  # the lower bound too
        ("24,51", False),
        ("23.49", False),
        ("24.5000000000000000000000000000001", False),  # beyond 28 digits: still exact
        ("24 Zeichen", True),
        ("24Zeichen", True),
        ("24  ZEICHEN", True),
        ("２４，５ Ｚｅｉｃｈｅｎ", True),  # full-width digits, comma and letters
        ("24 Zeichen.", False),
        ("24 Buchstaben", False),
        ("Zeichen 24", False),
        ("−24", False),
        ("2.4e1", False),  # no exponents
        ("24.0.0", False),
        ("24.", False),
        ("NaN", False),
        ("Infinity", False),
        ("-inf", False),
        ("sNaN", False),
        ("24" + " " * MAX_TEXT_LENGTH, False),  # overlong before stripping
    ],
)
def test_number(typed: str, right: bool) -> None:
    check(grade(ZEICHEN, typed), "1" if right else "0", correct=right)


@pytest.mark.parametrize(
    ("answer", "typed", "right"),
    [
        ("1000", "1000", True),
        ("1000", "1000,0", True),
        ("1000", "1.000", False),  # thousands separators are not guessed: this is 1
        ("1000", "1,000", False),
        ("1000", "1 000", False),
        ("1", "1.000", True),
        ("1500", "1,5e3", False),
        ("0.5", ",5", True),
        ("0.5", "0,5", True),
        ("-3", "-3", True),
        ("-3", "−3", True),  # the typographic minus
        ("-3", "3", False),
        ("0", "-0", True),
    ],
)
def test_number_notation(answer: str, typed: str, right: bool) -> None:
    assert grade(number(answer), typed).correct is right


@pytest.mark.parametrize("typed", ["", "   ", None, 24, D(24)])
def test_number_not_typed_is_unanswered(typed: object) -> None:
    check(grade(ZEICHEN, typed), "0", correct=False, answered=False)


# --- Short text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "typed", "right"),
    [
        (text("Phishing Mail"), "phishing mail", True),
        (text("Phishing Mail"), "  PHISHING \t  mail\n", True),
        (text("Phishing Mail"), "PhishingMail", False),
        (text("Phishing Mail"), "Ｐｈｉｓｈｉｎｇ Ｍａｉｌ", True),  # full-width letters
        (text("Firewall"), "ﬁrewall", True),  # the "fi" ligature
        (text("Straße"), "STRASSE", True),  # casefolded, not just lower-cased
        (text("Phishing Mail", case_sensitive=True), "Phishing Mail", True),
        (text("Phishing Mail", case_sensitive=True), "phishing mail", False),
        (text("Straße", case_sensitive=True), "STRASSE", False),
        (text("Phishing Mail", exact_whitespace=True), " Phishing Mail ", True),
        (text("Phishing Mail", exact_whitespace=True), "Phishing  Mail", False),
        (text("Phishing  Mail", exact_whitespace=True), "phishing  mail", True),
        (text("Phishing  Mail"), "phishing mail", True),  # answers are normalised too
        (text("Phishing", "Vishing"), "vishing", True),
    ],
)
def test_text_answers(question: Question, typed: str, right: bool) -> None:
    check(grade(question, typed), "1" if right else "0", correct=right)


@pytest.mark.parametrize(
    ("regex", "typed", "right", "case_sensitive"),
    [
        ("^ph?ishing(-?mail)?$", "Phishing-Mail", True, False),
        ("^ph?ishing(-?mail)?$", "  PISHING  ", True, False),
        ("ph?ishing", "Phishing", True, False),
        ("ph?ishing", "Phishing-Mail", False, False),  # a partial match does not count
        ("ph?ishing", "Das ist Phishing", False, False),
        ("ph?ishing", "Phishing", False, True),
        ("phishing mail", "Phishing   Mail", True, False),  # sees normalised whitespace
        ("phishing-mail", "Ｐｈｉｓｈｉｎｇ-Ｍａｉｌ", True, False),  # and NFKC text
        ("(", "(", False, False),  # an invalid pattern matches nothing
    ],
)
def test_text_regex_must_match_the_whole_text(
    regex: str, typed: str, right: bool, case_sensitive: bool
) -> None:
    question = text(regex=regex, case_sensitive=case_sensitive)
    check(grade(question, typed), "1" if right else "0", correct=right)


@pytest.mark.parametrize(
    ("typed", "right"),
    [
        ("a" * MAX_TEXT_LENGTH, True),
        ("a" * (MAX_TEXT_LENGTH + 1), False),
        ("ﷺ" * 27, True),  # 486 characters after NFKC
        ("ﷺ" * 28, False),  # 504 characters after NFKC
    ],
)
def test_overlong_text_is_wrong(typed: str, right: bool) -> None:
    assert grade(text("a" * 501, regex=".+"), typed).correct is right


# --- Cloze -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "score", "parts", "answered"),
    [
        (("kennworts", 1, " 12 "), "1", (True, True, True), True),
        (["Passworts", 1, "12"], "1", (True, True, True), True),
        (("Passworts", 1, "12", "extra"), "1", (True, True, True), True),
        (("Passworts", 0, "12"), "0.67", (True, False, True), True),
        (("Passwort", 1, None), "0.33", (False, True, False), True),
        (("Passworts",), "0.33", (True, False, False), True),  # missing gaps
        (("Passworts", 7, "12"), "0.67", (True, False, True), True),
        (("Passworts", True, "12"), "0.67", (True, False, True), True),
        (("Passworts", "verdächtig", "12"), "0.67", (True, False, True), True),
        ((1, "verdächtig", 12), "0", (False, False, False), False),  # every entry of the wrong kind
        ((None, None, ""), "0", (False, False, False), False),
        ("Passworts", "0", (False, False, False), False),
    ],
)
def test_cloze(response: object, score: str, parts: tuple[bool, ...], answered: bool) -> None:
    result = grade(CLOZE, response)
    check(result, score, correct=all(parts), answered=answered)
    assert result.parts == parts


# --- Matching -----------------------------------------------------------------------

RIGHT = ("gefälschte Nachricht", "schädliche Software", "Sicherungskopie")


@pytest.mark.parametrize(
    ("response", "score", "parts", "answered"),
    [
        (RIGHT, "3", (True, True, True), True),
        (list(RIGHT), "3", (True, True, True), True),
        (("Firmenausweis", *RIGHT[1:]), "2", (False, True, True), True),  # a distractor
        (
            ("schädliche Software", "gefälschte Nachricht", "Sicherungskopie"),
            "1",
            (False, False, True),
            True,
        ),
        (("Firmenausweis",) * 3, "0", (False, False, False), True),
        (("Sicherungskopie",) * 3, "1", (False, False, True), True),
        ((None, "schädliche Software"), "1", (False, True, False), True),
        (
            (" gefälschte Nachricht", "Schädliche Software", "Sicherungskopie"),
            "1",
            (False, False, True),
            True,
        ),
        ((None, "", None), "0", (False, False, False), False),
        ("Sicherungskopie", "0", (False, False, False), False),
    ],
)
def test_matching(response: object, score: str, parts: tuple[bool, ...], answered: bool) -> None:
    result = grade(MATCHING, response)
    check(result, score, correct=all(parts), answered=answered)
    assert result.parts == parts


# --- Ordering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "score", "parts"),
    [
        (("a", "b", "c", "d"), "2", (True, True, True, True)),
        (["a", "b", "c", "d"], "2", (True, True, True, True)),
        (("a", "c", "b", "d"), "1", (True, False, False, True)),  # one swap
        (("b", "a", "d", "c"), "0", (False, False, False, False)),
        (("a", "a", "c", "d"), "1", (False, False, True, True)),  # a duplicate is wrong everywhere
        (("a", "b", "c", "d", "d"), "1.5", (True, True, True, False)),
        (("a", "b", "c"), "1.5", (True, True, True, False)),  # a missing item
        (("a", "b", "x", "d"), "1.5", (True, True, False, True)),  # an unknown item
        (("a", None, "c", 5), "1", (True, False, True, False)),
    ],
)
def test_ordering(response: object, score: str, parts: tuple[bool, ...]) -> None:
    result = grade(ORDERING, response)
    check(result, score, correct=all(parts))
    assert result.parts == parts


@pytest.mark.parametrize("response", [(), ("",), "abcd"])
def test_ordering_without_items_is_unanswered(response: object) -> None:
    check(grade(ORDERING, response), "0", correct=False, answered=False)


# --- Whole quizzes ----------------------------------------------------------------------

QUIZ = tuple(
    make(QuestionType.TRUE_FALSE, qid=f"q{n}", answer_bool=True, points=D(1)) for n in range(4)
)


@pytest.mark.parametrize(
    ("right", "pass_mark", "percent", "passed"),
    [
        (3, 75, "75", True),  # exactly at the pass mark
        (3, 76, "75", False),
        (4, 100, "100", True),
        (0, 0, "0", True),
    ],
)
def test_quiz_passes_at_the_pass_mark(
    right: int, pass_mark: int, percent: str, passed: bool
) -> None:
    responses = {q.id: n < right for n, q in enumerate(QUIZ)}
    result = grade_quiz(QUIZ, responses, pass_mark)
    assert (result.score, result.max, result.percent, result.passed) == (
        D(right),
        D(4),
        D(percent),
        passed,
    )
    assert str(result.percent).endswith(".00")


def test_quiz_percent_is_rounded_and_compared_after_rounding() -> None:
    questions = (
        make(
            QuestionType.MULTIPLE,
            qid="m",
            choices=multiple(Scoring.PARTIAL).choices,
            scoring=Scoring.PARTIAL,
            points=D(3),
        ),
    )
    result = grade_quiz(questions, {"m": {0, 1}}, pass_mark=67)  # 2 of 3 points
    assert (result.score, result.percent, result.passed) == (D(2), D("66.67"), False)
    assert grade_quiz(questions, {"m": {0, 1}}, pass_mark=66).passed


def test_quiz_counts_missing_responses_as_unanswered() -> None:
    questions = (*QUIZ[:2], CLOZE)
    result = grade_quiz(questions, {"q0": True, "unknown": True}, pass_mark=50)
    assert (result.score, result.max, result.percent, result.passed) == (
        D(1),
        D(3),
        D("33.33"),
        False,
    )
    assert set(result.results) == {"q0", "q1", "q"}
    assert result.results["q0"].correct
    assert not result.results["q1"].answered
    assert not result.results["q"].answered
    with pytest.raises(TypeError):
        result.results["q0"] = result.results["q1"]  # type: ignore[index]


def test_a_quiz_without_points_is_not_passed() -> None:
    result = grade_quiz((), {}, pass_mark=0)
    assert (result.score, result.max, result.percent, result.passed) == (D(0), D(0), D(0), False)


def _shown(question: Question) -> dict[str, object]:
    """The question as a page shows it: matching options and ordering items, in order."""
    return {
        "right": sorted([p.right for p in question.pairs] + list(question.distractors)),
        "items": list(question.items),
    }


@pytest.mark.parametrize("question", ONE_OF_EACH, ids=lambda q: q.type.value)
def test_no_fields_make_the_empty_response(question: Question) -> None:
    grader = GRADERS[question.type]
    response = grader.response_from_fields(question, _shown(question), {})
    check(grade(question, response), "0", correct=False, answered=False)


@pytest.mark.parametrize("question", ONE_OF_EACH, ids=lambda q: q.type.value)
@pytest.mark.parametrize(
    "junk",
    ["", "x", "-1", "9" * 5000, "1.5", None],
    ids=["", "x", "-1", "5000-digits", "1.5", "None"],
)
def test_fields_of_any_content_never_raise(question: Question, junk: object) -> None:
    name = f"q-{question.id}"
    fields = {name: junk, **{f"{name}-{i}": junk for i in range(6)}}
    if question.type is QuestionType.MULTIPLE:
        fields[name] = [junk, junk]
    grader = GRADERS[question.type]
    result = grade(question, grader.response_from_fields(question, _shown(question), fields))
    assert result.max == question.points


def test_the_right_fields_make_a_right_response() -> None:
    by_type = {q.type: q for q in ONE_OF_EACH}
    single = by_type[QuestionType.SINGLE]
    right = next(i for i, c in enumerate(single.choices) if c.correct)
    response = GRADERS[QuestionType.SINGLE].response_from_fields(
        single, _shown(single), {f"q-{single.id}": str(right)}
    )
    assert grade(single, response).correct
    ordering = by_type[QuestionType.ORDERING]
    shown = _shown(ordering)
    fields = {f"q-{ordering.id}-{i}": str(i + 1) for i in range(len(shown["items"]))}
    response = GRADERS[QuestionType.ORDERING].response_from_fields(ordering, shown, fields)
    assert grade(ordering, response).correct
