"""The quiz dialect: questions written in Markdown, read line by line.

Each question starts with `## Question text {#id}`. Below it: more prompt text,
the answer part (choices, `answer:` lines, gaps, pairs or a numbered list) and
settings as `key: value` lines. See docs/course-format.md.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lms.content.fences import Fences
from lms.content.frontmatter import Source, report_unknown_key
from lms.content.spec import (
    Choice,
    Criterion,
    Gap,
    NumberBand,
    Pair,
    Question,
    QuestionType,
    Scoring,
    TextRule,
)

HEADING = re.compile(r"^##(?!#)\s*(?P<text>.*?)\s*(?:\{#(?P<id>[^}]*)\})?\s*$")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
SINGLE = re.compile(r"^[-*]\s+\((?P<mark>[ xX])\)\s*(?P<text>.*)$")
MULTIPLE = re.compile(r"^[-*]\s+\[(?P<mark>[ xX])\]\s*(?P<text>.*)$")
PAIR = re.compile(r"^[-*]\s+(?P<left>.*?)\s*(?:->|→)\s*(?P<right>.*)$")
ORDERED = re.compile(r"^\d+[.)]\s+(?P<text>.*)$")
FEEDBACK = re.compile(r"^\s{2,}>\s?(?P<text>.*)$")
CONTINUATION = re.compile(r"^\s{2,}(?P<text>\S.*)$")
KEY_LINE = re.compile(r"^(?P<key>[a-z_]+):\s*(?P<value>.*)$")
GAP = re.compile(r"\[\[(?P<body>.*?)\]\]")
CHOICE_GAP_PART = re.compile(r"^\((?P<mark>[ xX])\)\s*(?P<text>.*)$")
# A choice's weight, at the end of its text: `- [x] Feuerlöscher {50%}`, `{-100 %}`.
CHOICE_WEIGHT = re.compile(r"\s*\{\s*(?P<weight>[+\-−]?\s*[0-9]+(?:[.,][0-9]+)?)\s*%\s*\}\s*$")
# A numeric question's band with partial credit: `partial: 1400..1600 = 50%`, also
# `partial: 1500 ± 100 = 50%` (or `+-`) and `partial: 1500 = 50%`.
PARTIAL = re.compile(r"^(?P<range>.+?)\s*=\s*(?P<weight>[+\-−]?[0-9]+(?:[.,][0-9]+)?)\s*%$")
# An essay question's rubric criterion: `rubric: Nennt die Gefahr = 2`.
RUBRIC = re.compile(r"^(?P<text>.*\S)\s*=\s*(?P<points>[0-9]+(?:[.,][0-9]+)?)$")
# The keys only an essay question has.
ESSAY_KEYS = ("rubric", "min_words", "max_words")
# How far the weights of a multiple-choice question's [x] choices may miss 100 %
# (3 × 33.33 %); grading scales them to exactly 100 %.
WEIGHT_SLACK = Decimal("0.1")

QUESTION_KEYS = (
    "type",
    "points",
    "explanation",
    "scoring",
    "answer",
    "tolerance",
    "partial",
    "unit",
    "case",
    "whitespace",
    "regex",
    "feedback_true",
    "feedback_false",
    *ESSAY_KEYS,
)

TYPE_ALIASES = {
    "single": QuestionType.SINGLE,
    "single-choice": QuestionType.SINGLE,
    "multiple": QuestionType.MULTIPLE,
    "multiple-choice": QuestionType.MULTIPLE,
    "true-false": QuestionType.TRUE_FALSE,
    "truefalse": QuestionType.TRUE_FALSE,
    "true/false": QuestionType.TRUE_FALSE,
    "number": QuestionType.NUMBER,
    "numeric": QuestionType.NUMBER,
    "text": QuestionType.TEXT,
    "short-text": QuestionType.TEXT,
    "short": QuestionType.TEXT,
    "cloze": QuestionType.CLOZE,
    "matching": QuestionType.MATCHING,
    "ordering": QuestionType.ORDERING,
    "essay": QuestionType.ESSAY,
    "free-text": QuestionType.ESSAY,
    "freitext": QuestionType.ESSAY,
}

TRUE_WORDS = {"true", "wahr", "richtig", "ja", "yes"}
FALSE_WORDS = {"false", "falsch", "nein", "no"}


@dataclass
class _Draft:
    """What one question block holds before its type is known."""

    id: str
    heading: str
    line: int
    prompt: list[tuple[int, str]] = field(default_factory=list)
    choices: list[tuple[str, Choice]] = field(default_factory=list)  # (kind, choice)
    pairs: list[tuple[int, str, str]] = field(default_factory=list)
    items: list[tuple[int, str]] = field(default_factory=list)
    keys: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def key(self, name: str) -> tuple[int, str] | None:
        values = self.keys.get(name)
        return values[-1] if values else None


def parse_decimal(value: str) -> Decimal | None:
    cleaned = value.strip().replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_questions(body: str, body_line: int, source: Source) -> tuple[str, tuple[Question, ...]]:
    """Split a quiz body into its introduction and its questions."""
    intro: list[str] = []
    drafts: list[_Draft] = []
    fences = Fences()
    current_choice: list[object] | None = None  # [kind, text, correct, feedback, line]
    for offset, raw in enumerate(body.split("\n")):
        line = body_line + offset
        in_fence = fences.step(raw)
        heading = None if in_fence else HEADING.match(raw)
        if heading:
            _flush_choice(drafts, current_choice)
            current_choice = None
            qid = heading.group("id")
            if qid is None:
                source.error(line, "question-without-id")
                qid = ""
            elif not ID_PATTERN.match(qid):
                source.error(line, "bad-question-id", id=qid)
            drafts.append(_Draft(id=qid, heading=heading.group("text"), line=line))
            continue
        if not drafts:
            intro.append(raw)
            continue
        draft = drafts[-1]
        if in_fence:
            draft.prompt.append((line, raw))
            continue
        current_choice = _read_line(draft, raw, line, current_choice, drafts, source)
    _flush_choice(drafts, current_choice)
    questions = tuple(q for q in (_build(d, source) for d in drafts if d.id) if q is not None)
    return "\n".join(intro).strip(), questions


def _flush_choice(drafts: list[_Draft], current: list[object] | None) -> None:
    if current is None or not drafts:
        return
    kind, text, correct, feedback, line = current
    drafts[-1].choices.append(
        (str(kind), Choice(str(text).strip(), bool(correct), str(feedback).strip(), int(str(line))))
    )


def _read_line(
    draft: _Draft,
    raw: str,
    line: int,
    current: list[object] | None,
    drafts: list[_Draft],
    source: Source,
) -> list[object] | None:
    """Sort one line into the draft; return the choice still open for feedback lines."""
    if current is not None:
        feedback = FEEDBACK.match(raw)
        if feedback:
            current[3] = f"{current[3]} {feedback.group('text')}".strip()
            return current
        continuation = CONTINUATION.match(raw)
        if continuation:
            current[1] = f"{current[1]} {continuation.group('text')}"
            return current
        _flush_choice(drafts, current)
    if not raw.strip():
        if draft.prompt or draft.choices or draft.items or draft.pairs:
            draft.prompt.append((line, ""))
        return None
    for kind, pattern in (("single", SINGLE), ("multiple", MULTIPLE)):
        match = pattern.match(raw)
        if match:
            correct = match.group("mark").lower() == "x"
            return [kind, match.group("text"), correct, "", line]
    pair = PAIR.match(raw)
    if pair:
        draft.pairs.append((line, pair.group("left"), pair.group("right")))
        return None
    ordered = ORDERED.match(raw)
    if ordered:
        draft.items.append((line, ordered.group("text").strip()))
        return None
    key_line = KEY_LINE.match(raw)
    if key_line:
        key = key_line.group("key")
        if key in QUESTION_KEYS:
            draft.keys.setdefault(key, []).append((line, key_line.group("value").strip()))
            return None
        if difflib.get_close_matches(key, QUESTION_KEYS, n=1, cutoff=0.75):
            report_unknown_key(key, line, QUESTION_KEYS, source)
            return None
    draft.prompt.append((line, raw))
    return None


def _prompt_text(draft: _Draft) -> str:
    body = "\n".join(text for _line, text in draft.prompt).strip()
    return f"{draft.heading}\n\n{body}".strip() if body else draft.heading


def _infer_type(draft: _Draft, source: Source) -> QuestionType | None:
    explicit = draft.key("type")
    if explicit is not None:
        line, value = explicit
        qtype = TYPE_ALIASES.get(value.lower())
        if qtype is None:
            source.error(
                line,
                "bad-value",
                key="type",
                value=value,
                allowed=", ".join(t.value for t in QuestionType),
            )
        return qtype
    if any(draft.key(key) for key in ESSAY_KEYS):
        return QuestionType.ESSAY
    kinds = {kind for kind, _choice in draft.choices}
    if len(kinds) > 1:
        source.error(draft.line, "mixed-choices")
        return None
    if kinds:
        return QuestionType.SINGLE if kinds == {"single"} else QuestionType.MULTIPLE
    if draft.pairs:
        return QuestionType.MATCHING
    if draft.items:
        return QuestionType.ORDERING
    prompt_text = " ".join(text for _line, text in draft.prompt) + draft.heading
    if "[[" in prompt_text or "]]" in prompt_text:
        return QuestionType.CLOZE
    answers = draft.keys.get("answer", [])
    if len(answers) == 1:
        value = answers[0][1].strip().lower()
        if value in TRUE_WORDS | FALSE_WORDS:
            return QuestionType.TRUE_FALSE
        if parse_decimal(value) is not None or draft.key("tolerance") or draft.key("unit"):
            return QuestionType.NUMBER
    if answers or draft.key("regex"):
        return QuestionType.TEXT
    if draft.key("tolerance") or draft.key("unit"):
        return QuestionType.NUMBER
    source.error(draft.line, "no-answer-part")
    return None


# Which parts each type may have; the rest is reported.
_PARTS = {
    "choices": {QuestionType.SINGLE, QuestionType.MULTIPLE},
    "pairs": {QuestionType.MATCHING},
    "items": {QuestionType.ORDERING},
}


def _build(draft: _Draft, source: Source) -> Question | None:
    qtype = _infer_type(draft, source)
    if qtype is None:
        return None
    for part, allowed in _PARTS.items():
        if getattr(draft, part) and qtype not in allowed:
            first_line = getattr(draft, part)[0]
            line = first_line[1].line if part == "choices" else first_line[0]
            source.error(line, "wrong-type-parts", type=qtype.value, part=part)
    if draft.keys.get("partial") and qtype is not QuestionType.NUMBER:
        source.error(draft.keys["partial"][0][0], "wrong-type-parts", type=qtype.value,
                     part="partial:")  # fmt: skip
    for key in ESSAY_KEYS if qtype is not QuestionType.ESSAY else ():
        if draft.keys.get(key):
            source.error(draft.keys[key][0][0], "wrong-type-parts", type=qtype.value,
                         part=f"{key}:")  # fmt: skip
    fields: dict[str, object] = {
        "id": draft.id,
        "type": qtype,
        "prompt": _prompt_text(draft),
        "line": draft.line,
        "points": _points(draft, source),
        "explanation": (draft.key("explanation") or (0, ""))[1],
    }
    builder = _BUILDERS[qtype]
    extra = builder(draft, source, qtype)
    if extra is None:
        return None
    fields.update(extra)
    return Question(**fields)  # type: ignore[arg-type]


def _points(draft: _Draft, source: Source) -> Decimal:
    found = draft.key("points")
    if found is None:
        return Decimal(1)
    line, value = found
    number = parse_decimal(value)
    if number is None or number <= 0:
        source.error(line, "bad-points", value=value)
        return Decimal(1)
    return number


def _choices(draft: _Draft, source: Source, qtype: QuestionType) -> dict[str, object] | None:
    choices = tuple(choice for _kind, choice in draft.choices)
    if len(choices) < 2:
        source.error(draft.line, "too-few-choices")
        return None
    correct = sum(c.correct for c in choices)
    if correct == 0:
        source.error(draft.line, "no-correct-choice")
        return None
    if qtype is QuestionType.SINGLE and correct > 1:
        source.error(draft.line, "several-correct-single", count=correct)
        return None
    result: dict[str, object] = {"choices": choices}
    scoring = draft.key("scoring")
    if scoring is not None:
        line, value = scoring
        if value not in (s.value for s in Scoring):
            source.error(line, "bad-value", key="scoring", value=value, allowed="all, partial")
        else:
            result["scoring"] = Scoring(value)
    weighted = _weighted_choices(draft, source, qtype, choices)
    if weighted is None:
        return None
    result["choices"] = weighted
    return result


def _weighted_choices(
    draft: _Draft, source: Source, qtype: QuestionType, choices: tuple[Choice, ...]
) -> tuple[Choice, ...] | None:
    """The choices with their weights (`{50%}` at the end of the text) taken off the text
    and checked: -100 % to 100 %; in single choice the (x) one earns 100 %, the others
    less; in multiple choice a [x] earns more than 0 %, a [ ] at most 0 %, and the [x]
    ones add up to 100 % (those without a weight share what the others leave)."""
    weighted: list[Choice] = []
    ok = True
    for choice in choices:
        match = CHOICE_WEIGHT.search(choice.text)
        if match is None:
            weighted.append(choice)
            continue
        text = choice.text[: match.start()].rstrip()
        weight = parse_decimal(match.group("weight").replace("−", "-"))
        assert weight is not None  # the pattern only matches numbers
        if not Decimal(-100) <= weight <= Decimal(100):
            source.error(choice.line, "weight-out-of-range", weight=f"{weight}%")
            ok = False
        elif qtype is QuestionType.SINGLE and choice.correct and weight != 100:
            source.error(choice.line, "single-correct-weight", weight=f"{weight}%")
            ok = False
        elif qtype is QuestionType.SINGLE and not choice.correct and weight >= 100:
            source.error(choice.line, "single-wrong-weight", weight=f"{weight}%")
            ok = False
        elif qtype is QuestionType.MULTIPLE and choice.correct and weight <= 0:
            source.error(choice.line, "correct-choice-weight", weight=f"{weight}%")
            ok = False
        elif qtype is QuestionType.MULTIPLE and not choice.correct and weight > 0:
            source.error(choice.line, "wrong-choice-weight", weight=f"{weight}%")
            ok = False
        weighted.append(Choice(text, choice.correct, choice.feedback, choice.line, weight))
    if not ok or all(c.weight is None for c in weighted):
        return tuple(weighted) if ok else None
    if qtype is QuestionType.MULTIPLE:
        scoring = draft.key("scoring")
        if scoring is not None and scoring[1] == Scoring.ALL_OR_NOTHING.value:
            source.error(scoring[0], "weights-with-scoring-all")
            return None
        given = sum((c.weight for c in weighted if c.correct and c.weight is not None), Decimal(0))
        open_share = any(c.correct and c.weight is None for c in weighted)
        if open_share and given >= 100:
            source.error(draft.line, "weights-leave-nothing", total=f"{given.normalize():f}%")
            return None
        if not open_share and abs(given - 100) > WEIGHT_SLACK:
            source.error(draft.line, "weights-not-100", total=f"{given.normalize():f}%")
            return None
    return tuple(weighted)


def _true_false(draft: _Draft, source: Source, qtype: QuestionType) -> dict[str, object] | None:
    found = draft.key("answer")
    if found is None:
        source.error(draft.line, "no-answer-part")
        return None
    line, value = found
    word = value.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        source.error(line, "bad-boolean", value=value)
        return None
    return {
        "answer_bool": word in TRUE_WORDS,
        "feedback_true": (draft.key("feedback_true") or (0, ""))[1],
        "feedback_false": (draft.key("feedback_false") or (0, ""))[1],
    }


def _number(draft: _Draft, source: Source, qtype: QuestionType) -> dict[str, object] | None:
    found = draft.key("answer")
    number = parse_decimal(found[1]) if found else None
    if number is None:
        source.error(found[0] if found else draft.line, "number-missing")
        return None
    tolerance = Decimal(0)
    found_tolerance = draft.key("tolerance")
    if found_tolerance is not None:
        parsed = parse_decimal(found_tolerance[1])
        if parsed is None:
            source.error(
                found_tolerance[0], "bad-decimal", key="tolerance", value=found_tolerance[1]
            )
        elif parsed < 0:
            source.error(found_tolerance[0], "negative-tolerance")
        else:
            tolerance = parsed
    bands = []
    for line, value in draft.keys.get("partial", []):
        band = _band(value)
        if band is None:
            source.error(line, "bad-partial", value=value)
        elif not Decimal(0) < band.weight <= Decimal(100):
            source.error(line, "partial-weight-out-of-range", weight=f"{band.weight}%")
        else:
            bands.append(band)
    return {"number": number, "tolerance": tolerance, "unit": (draft.key("unit") or (0, ""))[1],
            "bands": tuple(bands)}  # fmt: skip


def _band(value: str) -> NumberBand | None:
    """`low..high = n%`, `number ± tolerance = n%` (also `+-`) or `number = n%` as a band;
    None if it is none of them or low > high."""
    match = PARTIAL.match(value.strip())
    if match is None:
        return None
    weight = parse_decimal(match.group("weight").replace("−", "-"))
    text = match.group("range").replace("−", "-")
    low_text, dots, high_text = text.partition("..")
    if dots:
        low, high = parse_decimal(low_text), parse_decimal(high_text)
    else:
        centre_text, _sign, margin_text = text.replace("+-", "±").partition("±")
        centre = parse_decimal(centre_text)
        margin = parse_decimal(margin_text) if _sign else Decimal(0)
        if centre is None or margin is None or margin < 0:
            return None
        low, high = centre - margin, centre + margin
    if low is None or high is None or weight is None or low > high:
        return None
    return NumberBand(low, high, weight)


def _text_rule(draft: _Draft, source: Source, answers: tuple[str, ...]) -> TextRule | None:
    regex = draft.key("regex")
    pattern = None
    if regex is not None:
        try:
            re.compile(regex[1])
        except re.error as exc:
            source.error(regex[0], "bad-regex", detail=str(exc))
            return None
        pattern = regex[1]
    case = draft.key("case")
    if case is not None and case[1] not in ("sensitive", "insensitive"):
        source.error(
            case[0], "bad-value", key="case", value=case[1], allowed="sensitive, insensitive"
        )
    whitespace = draft.key("whitespace")
    if whitespace is not None and whitespace[1] not in ("exact", "normalize"):
        source.error(
            whitespace[0],
            "bad-value",
            key="whitespace",
            value=whitespace[1],
            allowed="exact, normalize",
        )
    return TextRule(
        answers=answers,
        case_sensitive=case is not None and case[1] == "sensitive",
        exact_whitespace=whitespace is not None and whitespace[1] == "exact",
        regex=pattern,
    )


def _text(draft: _Draft, source: Source, qtype: QuestionType) -> dict[str, object] | None:
    answers = tuple(value for _line, value in draft.keys.get("answer", []) if value)
    rule = _text_rule(draft, source, answers)
    if rule is None:
        return None
    if not rule.answers and not rule.regex:
        source.error(draft.line, "text-answer-missing")
        return None
    return {"text_rule": rule}


def _cloze(draft: _Draft, source: Source, qtype: QuestionType) -> dict[str, object] | None:
    gaps: list[Gap] = []
    ok = True
    prompt_lines: list[str] = []
    for line, text in [(draft.line, draft.heading), *draft.prompt]:
        ok = _check_gap_balance(text, line, source) and ok
        prompt_lines.append(text)
    if not ok:
        return None
    prompt = _prompt_text(draft)
    regex = draft.key("regex")
    if regex is not None:
        # Gaps are compared with their own answers; one pattern cannot serve them all.
        source.error(regex[0], "wrong-type-parts", type=qtype.value, part="regex")
        return None
    rule = _text_rule(draft, source, ())
    if rule is None:
        return None

    def replace(match: re.Match[str]) -> str:
        gap = _parse_gap(match.group("body"), rule, draft.line, source)
        if gap is None:
            return match.group(0)
        gaps.append(gap)
        return f"{{{{gap:{len(gaps) - 1}}}}}"

    prompt = GAP.sub(replace, prompt)
    if not gaps:
        source.error(draft.line, "no-gaps")
        return None
    return {"prompt": prompt, "gaps": tuple(gaps)}


def _check_gap_balance(text: str, line: int, source: Source) -> bool:
    depth = 0
    position = 0
    while position < len(text):
        if text.startswith("[[", position):
            if depth:
                source.error(line, "unbalanced-gap")
                return False
            depth = 1
            position += 2
        elif text.startswith("]]", position):
            if not depth:
                source.error(line, "stray-gap-close")
                return False
            depth = 0
            position += 2
        else:
            position += 1
    if depth:
        source.error(line, "unbalanced-gap")
        return False
    return True


def _parse_gap(body: str, rule: TextRule, line: int, source: Source) -> Gap | None:
    parts = [part.strip() for part in body.split("|")]
    if not any(parts):
        source.error(line, "empty-gap")
        return None
    choice_parts = [CHOICE_GAP_PART.match(part) for part in parts]
    if any(choice_parts):
        if not all(choice_parts):
            source.error(line, "mixed-choices")
            return None
        choices = tuple(
            Choice(m.group("text").strip(), m.group("mark").lower() == "x", line=line)
            for m in choice_parts
            if m is not None
        )
        correct = sum(c.correct for c in choices)
        if correct != 1:
            source.error(
                line,
                "no-correct-choice" if correct == 0 else "several-correct-single",
                count=correct,
            )
            return None
        return Gap(choices=choices)
    answers = tuple(part for part in parts if part)
    return Gap(text=TextRule(answers, rule.case_sensitive, rule.exact_whitespace, None))


def _matching(draft: _Draft, source: Source, qtype: QuestionType) -> dict[str, object] | None:
    pairs: list[Pair] = []
    distractors: list[str] = []
    for line, left, right in draft.pairs:
        if not right.strip():
            source.error(line, "bad-pair")
            return None
        if left.strip():
            pairs.append(Pair(left.strip(), right.strip()))
        else:
            distractors.append(right.strip())
    if len(pairs) < 2:
        source.error(draft.line, "too-few-pairs")
        return None
    return {"pairs": tuple(pairs), "distractors": tuple(distractors)}


def _ordering(draft: _Draft, source: Source, qtype: QuestionType) -> dict[str, object] | None:
    items = [text for _line, text in draft.items]
    if len(items) < 2:
        source.error(draft.line, "too-few-items")
        return None
    seen: set[str] = set()
    for line, text in draft.items:
        if text in seen:
            source.error(line, "duplicate-item", text=text)
            return None
        seen.add(text)
    return {"items": tuple(items)}


def _essay(draft: _Draft, source: Source, qtype: QuestionType) -> dict[str, object] | None:
    """Free text graded by a trainer: the rubric's criteria (their points add up to the
    question's), or `points:` as one overall score; optional word limits."""
    for key in ("answer", "regex", "tolerance", "unit"):
        if draft.keys.get(key):
            source.error(draft.keys[key][0][0], "wrong-type-parts", type=qtype.value,
                         part=f"{key}:")  # fmt: skip
            return None
    rubric: list[Criterion] = []
    for line, value in draft.keys.get("rubric", []):
        match = RUBRIC.match(value)
        points = parse_decimal(match.group("points")) if match else None
        if match is None or points is None or points <= 0:
            source.error(line, "bad-rubric", value=value)
            return None
        rubric.append(Criterion(match.group("text").strip(), points))
    result: dict[str, object] = {"rubric": tuple(rubric)}
    if rubric:
        total = sum((c.points for c in rubric), Decimal(0))
        given = draft.key("points")
        if given is not None and parse_decimal(given[1]) != total:
            source.error(given[0], "rubric-points-differ", value=given[1],
                         total=f"{total.normalize():f}")  # fmt: skip
            return None
        result["points"] = total
    for key in ("min_words", "max_words"):
        found = draft.key(key)
        if found is None:
            continue
        if not found[1].isdigit() or not 0 < int(found[1]) <= 10000:
            source.error(found[0], "bad-word-limit", key=key, value=found[1])
            return None
        result[key] = int(found[1])
    low, high = result.get("min_words"), result.get("max_words")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        source.error(draft.line, "word-limits-crossed", low=low, high=high)
        return None
    return result


_BUILDERS = {
    QuestionType.SINGLE: _choices,
    QuestionType.MULTIPLE: _choices,
    QuestionType.TRUE_FALSE: _true_false,
    QuestionType.NUMBER: _number,
    QuestionType.TEXT: _text,
    QuestionType.CLOZE: _cloze,
    QuestionType.MATCHING: _matching,
    QuestionType.ORDERING: _ordering,
    QuestionType.ESSAY: _essay,
}
