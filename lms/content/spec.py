"""Immutable, typed descriptions of a course as written in its Markdown files.

The parser turns a course folder into a `CourseSpec`; nothing here knows about
HTTP or the database. Text fields hold Markdown source; rendering to sanitised
HTML happens once, at import. `line` fields point into the source file so that
later checks can still say where a problem is.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal


class UnitType(enum.StrEnum):
    LESSON = "lesson"
    QUIZ = "quiz"
    IN_PERSON = "in-person"
    PRACTICAL = "practical"
    HANDIN = "handin"
    PACKAGE = "package"  # a SCORM 1.2, SCORM 2004 or cmi5 package (packages/<name>.zip)


class QuestionType(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true-false"
    NUMBER = "number"
    TEXT = "text"
    CLOZE = "cloze"
    MATCHING = "matching"
    ORDERING = "ordering"
    ESSAY = "essay"  # free text, graded by a trainer


class ShowAnswers(enum.StrEnum):
    NEVER = "never"
    AFTER_SUBMIT = "after_submit"
    AFTER_PASSING = "after_passing"


class Scoring(enum.StrEnum):
    ALL_OR_NOTHING = "all"
    PARTIAL = "partial"


# --- Questions -----------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool
    feedback: str = ""
    line: int = 0
    # The share of the points (in %, -100…100) this choice adds when picked, if the
    # question gives weights (`- [x] text {50%}`); None: graded by `correct` alone.
    weight: Decimal | None = None


@dataclass(frozen=True)
class TextRule:
    """How a typed answer is compared with the accepted answers."""

    answers: tuple[str, ...]
    case_sensitive: bool = False
    exact_whitespace: bool = False
    regex: str | None = None


@dataclass(frozen=True)
class Gap:
    """One gap of a cloze text: either choices or typed text."""

    choices: tuple[Choice, ...] = ()
    text: TextRule | None = None

    @property
    def is_choice(self) -> bool:
        return bool(self.choices)


@dataclass(frozen=True)
class NumberBand:
    """A range of a numeric question that earns part of the points (`partial:`)."""

    low: Decimal
    high: Decimal
    weight: Decimal  # in %, 0 < weight ≤ 100


@dataclass(frozen=True)
class Criterion:
    """One criterion of an essay question's rubric (`rubric: text = points`)."""

    text: str
    points: Decimal


@dataclass(frozen=True)
class Pair:
    left: str
    right: str


@dataclass(frozen=True)
class Question:
    """A question of any type; the fields that apply depend on `type`.

    - single/multiple: `choices` (and `scoring` for multiple)
    - true-false: `answer_bool`, `feedback_true`, `feedback_false`
    - number: `number`, `tolerance`, `unit` (and `bands` with partial credit)
    - text: `text_rule`
    - cloze: `prompt` holds the text with gaps replaced by `{{gap:N}}`; `gaps`
    - matching: `pairs` and `distractors` (right-hand options without a partner)
    - ordering: `items` in the correct order
    - essay: `rubric` (points = its sum; empty: one score 0…points), `min_words`,
      `max_words`; graded by a trainer
    """

    id: str
    type: QuestionType
    prompt: str
    line: int
    points: Decimal = Decimal(1)
    explanation: str = ""
    choices: tuple[Choice, ...] = ()
    scoring: Scoring = Scoring.ALL_OR_NOTHING
    answer_bool: bool | None = None
    feedback_true: str = ""
    feedback_false: str = ""
    number: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    unit: str = ""
    text_rule: TextRule | None = None
    gaps: tuple[Gap, ...] = ()
    pairs: tuple[Pair, ...] = ()
    distractors: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    bands: tuple[NumberBand, ...] = ()  # number: ranges with partial credit
    rubric: tuple[Criterion, ...] = ()  # essay: the criteria the trainer grades by
    min_words: int | None = None  # essay
    max_words: int | None = None  # essay


@dataclass(frozen=True)
class QuizSettings:
    pass_mark: int = 80
    max_attempts: int = 0
    shuffle: bool = False
    draw: int | None = None
    show_answers: ShowAnswers = ShowAnswers.AFTER_SUBMIT


# --- Packages (SCORM, cmi5) -------------------------------------------------------


class PackageStandard(enum.StrEnum):
    SCORM12 = "scorm12"
    SCORM2004 = "scorm2004"
    CMI5 = "cmi5"


class MoveOn(enum.StrEnum):
    """When a cmi5 AU counts as done (its `moveOn`); SCORM items: see `PackageItem`."""

    PASSED = "Passed"
    COMPLETED = "Completed"
    COMPLETED_AND_PASSED = "CompletedAndPassed"
    COMPLETED_OR_PASSED = "CompletedOrPassed"
    NOT_APPLICABLE = "NotApplicable"


@dataclass(frozen=True)
class PackageItem:
    """One launchable part of a package: a SCO (SCORM) or an AU (cmi5).

    `href` is the launch file's path inside the package (no query); `parameters` the
    query it is launched with (SCORM's `parameters`, the query of a cmi5 AU's url).
    `passing_score` is the scaled score (0…1) that passes: SCORM 1.2's
    `adlcp:masteryscore` / 100, SCORM 2004's `imsss:minNormalizedMeasure` when the
    objective is satisfied by measure, cmi5's `masteryScore`. A SCORM item counts
    as done when completed, or passed where it has a passing score: `move_on`
    says the same in cmi5's words for all three standards.
    """

    id: str
    title: str
    href: str
    parameters: str = ""
    passing_score: Decimal | None = None
    completion_threshold: Decimal | None = None  # SCORM 2004: adlcp:completionThreshold
    launch_data: str = ""  # adlcp:dataFromLMS / cmi5 launchParameters
    move_on: MoveOn = MoveOn.COMPLETED
    launch_method: str = "AnyWindow"  # cmi5: AnyWindow or OwnWindow
    line: int = 0  # in the manifest


@dataclass(frozen=True)
class PackageSpec:
    """A package named by a unit: its standard, identity and launchable items.

    `file` is the ZIP's path in the course folder (packages/brandschutz.zip),
    `sha256` its digest; `identifier` and `version` come from the manifest (the
    manifest's identifier and version attribute, cmi5's course id) and are printed on
    the proof of instruction.
    """

    standard: PackageStandard
    file: str
    sha256: str
    identifier: str
    version: str
    title: str
    items: tuple[PackageItem, ...]
    files: int = 0
    size: int = 0


# --- Units and courses -----------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: str
    line: int = 0


@dataclass(frozen=True)
class Unit:
    """One unit file in one language."""

    id: str  # the slug part of NN-<slug>.md
    position: int  # NN
    language: str
    path: str  # relative to the courses root, e.g. it-sicherheit/01-warum.md
    type: UnitType
    title: str
    minutes: int
    body: str  # Markdown: the lesson, the quiz intro, the description of the others
    body_line: int = 1  # line of the file where `body` starts
    quiz: QuizSettings | None = None
    questions: tuple[Question, ...] = ()
    goals: tuple[str, ...] = ()  # in-person
    bring: tuple[str, ...] = ()  # in-person
    checklist: tuple[ChecklistItem, ...] = ()  # practical
    accepts: tuple[str, ...] = ()  # handin: "image", "pdf"
    package: PackageSpec | None = None  # package


@dataclass(frozen=True)
class CourseTexts:
    """The translatable texts of course.md in one language."""

    language: str
    title: str
    summary: str
    audience: str = ""
    description: str = ""
    # Topics for the catalogue (tags:); a translation without them keeps the original's.
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Validity:
    """How long a certificate stays valid, e.g. 12 months."""

    amount: int
    unit: str  # "days", "months" or "years"

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"

    @property
    def approximate_days(self) -> int:
        """About how many days the period lasts (for comparing periods)."""
        return self.amount * {"days": 1, "months": 30, "years": 365}[self.unit]


class EvaluationKind(enum.StrEnum):
    """The kinds of question in an evaluation questionnaire (evaluation: in course.md)."""

    SCALE = "scale"  # 1–5, with words for both ends
    CHOICE = "choice"  # one of the options
    TEXT = "text"  # free text


@dataclass(frozen=True)
class EvaluationQuestion:
    """One question of a module's evaluation questionnaire, in one language."""

    id: str
    kind: EvaluationKind
    text: str
    optional: bool = False
    low: str = ""  # scale: the word for 1
    high: str = ""  # scale: the word for 5
    options: tuple[str, ...] = ()  # choice
    line: int = 0


@dataclass(frozen=True)
class CourseSpec:
    slug: str
    language: str  # the main language
    texts: dict[str, CourseTexts]  # by language, the main language always present
    minutes: int
    tags: tuple[str, ...] = ()
    valid_for: Validity | None = None
    completion: str = "all"
    requalification: bool = False
    # After completing: the periods after which a short repetition is due (refresh:).
    refresh: tuple[Validity, ...] = ()
    # units[language][position] – the main language holds every unit
    units: dict[str, tuple[Unit, ...]] = field(default_factory=dict)
    assets: tuple[str, ...] = ()  # paths relative to the course folder, e.g. assets/a.png
    # The evaluation questionnaire by language (evaluation:), empty for the built-in one.
    evaluation: dict[str, tuple[EvaluationQuestion, ...]] = field(default_factory=dict)

    @property
    def main_units(self) -> tuple[Unit, ...]:
        return self.units[self.language]

    def unit_in(self, unit_id: str, language: str) -> Unit:
        """The unit in `language`, falling back to the main language."""
        for unit in self.units.get(language, ()):
            if unit.id == unit_id:
                return unit
        return next(u for u in self.main_units if u.id == unit_id)
