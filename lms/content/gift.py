"""Moodle GIFT ↔ the quiz dialect: import GIFT question files, export quiz questions.

GIFT is Moodle's plain-text question format (https://docs.moodle.org/en/GIFT_format).
`gift_to_questions` reads a GIFT file into `Question`s, `questions_to_markdown` writes
questions as a quiz unit file of the course format (docs/course-format.md), and
`questions_to_gift` goes the other way. Whatever has no equivalent on the other side
is left out and reported as a `Note` with its line – never dropped silently.

Texts become Markdown source, as everywhere in a `Question`: GIFT text in the
default (`[moodle]`) and `[markdown]` formats is taken as Markdown, `[plain]` text is
escaped, HTML is converted. Exported texts are marked `[markdown]` for Moodle.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from html.parser import HTMLParser

import yaml
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l

from lms.content.fences import Fences
from lms.content.grading import choice_weights
from lms.content.parser import slugify
from lms.content.quiz import (
    CHOICE_WEIGHT,
    HEADING,
    ID_PATTERN,
    KEY_LINE,
    MULTIPLE,
    ORDERED,
    PAIR,
    QUESTION_KEYS,
    SINGLE,
    WEIGHT_SLACK,
)
from lms.content.spec import (
    Choice,
    Gap,
    NumberBand,
    Pair,
    Question,
    QuestionType,
    QuizSettings,
    Scoring,
    TextRule,
)


@dataclass(frozen=True)
class Note:
    """Something that was not converted, or not exactly; `line` is in the source file.

    `question` names the question it concerns (its GIFT title or its id; empty for
    notes on the file). The sentence is made in the reader's language when it is
    shown (`message`), as a course file's problems are.
    """

    line: int
    template: str | LazyString
    params: dict[str, object] = field(default_factory=dict)
    question: str = ""

    @property
    def message(self) -> str:
        """What changed, in the current language, naming the question."""
        text = str(self.template) % self.params  # templates write a percent sign as %%
        if not self.question:
            return text
        return gettext("question “%(question)s”: %(note)s", question=self.question, note=text)

    def __str__(self) -> str:
        return f"{self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class GiftImport:
    questions: tuple[Question, ...]
    notes: tuple[Note, ...]
    found: int  # question blocks in the file (categories and comments not counted)


@dataclass(frozen=True)
class GiftExport:
    text: str  # the GIFT file; empty when nothing could be exported
    notes: tuple[Note, ...]  # lines are the questions' lines in their unit file
    exported: int


# --- GIFT syntax ------------------------------------------------------------------

# Escaped special characters are hidden as private-use characters while the structure
# is read, and revealed in the texts afterwards. `\n` stands for a line break.
_PRIVATE = 0xE000
_HIDE = re.compile(r"\\([\\~=#{}:n])")
_HIDDEN = {chr(_PRIVATE + ord(char)): char for char in "\\~=#{}:"}
_HIDDEN_NEWLINE = chr(_PRIVATE + ord("\n"))
_MARK = "\ue100"  # where the answer block stood in the question text

_FORMAT = re.compile(r"\s*\[(moodle|html|plain|markdown)\]")
_WEIGHT = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_SOFT_BREAK = re.compile(r"[ \t]*\n[ \t]*")
_ANY_BREAK = re.compile(r"\s*\n\s*")
_BLANK = "_____"
_FULL = Decimal(100)
_ROUNDING = Decimal("0.01")  # Moodle writes weights to 5 decimals: 33.33333%


def _hide(text: str) -> str:
    """`text` with each GIFT escape (`\\~`, `\\=`, …, `\\n`) replaced by a private character."""
    return _HIDE.sub(lambda m: chr(_PRIVATE + ord("\n" if m.group(1) == "n" else m.group(1))), text)


def _reveal(text: str, newline: str = "\n") -> str:
    for placeholder, char in _HIDDEN.items():
        text = text.replace(placeholder, char)
    return text.replace(_HIDDEN_NEWLINE, newline)


def _with_format(text: str, default: str) -> tuple[str, str]:
    """Split a leading `[html]`/`[plain]`/… marker off `text`: (format, rest)."""
    match = _FORMAT.match(text)
    return (match.group(1), text[match.end() :]) if match else (default, text)


def _one_line(text: str) -> str:
    return _ANY_BREAK.sub(" ", text).strip()


def _escape_markdown(text: str) -> str:
    return re.sub(r"([\\`*_\[\]])", r"\\\1", text).replace("<", "&lt;")


class _HtmlToMarkdown(HTMLParser):
    """A small HTML → Markdown conversion: emphasis, code, paragraphs, lists, links."""

    INLINE = {"b": "**", "strong": "**", "i": "*", "em": "*", "code": "`"}
    BLOCK = {"p", "div", "ul", "ol", "table", "tr", "blockquote", "pre",
             "h1", "h2", "h3", "h4", "h5", "h6"}  # fmt: skip
    DROP = {"script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[str | None] = []
        self.dropping = 0
        self.code = 0
        self.images = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.DROP:
            self.dropping += 1
        elif tag in self.INLINE:
            self.code += tag == "code"
            self.out.append(self.INLINE[tag])
        elif tag == "br":
            self.out.append("\n\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in self.BLOCK:
            self.out.append("\n\n")
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            usable = href.lower().startswith(("http://", "https://", "mailto:"))
            self.links.append(href if usable else None)
            if usable:
                self.out.append("[")
        elif tag == "img":
            self.images += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.DROP:
            self.dropping = max(0, self.dropping - 1)
        elif tag in self.INLINE:
            self.code = max(0, self.code - (tag == "code"))
            self.out.append(self.INLINE[tag])
        elif tag in self.BLOCK:
            self.out.append("\n\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href is not None:
                self.out.append(f"]({href})")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            text = re.sub(r"\s+", " ", data)
            self.out.append(text.replace("`", "'") if self.code else _escape_markdown(text))

    def markdown(self) -> str:
        text = _SOFT_BREAK.sub("\n", "".join(self.out))
        return re.sub(r"\n{3,}", "\n\n", text).strip()


@dataclass
class _Flags:
    """What a question's texts contained that is worth a note."""

    html: bool = False
    images: int = 0


def _markup(text: str, fmt: str, flags: _Flags, *, inline: bool) -> str:
    """GIFT text (escapes hidden) in format `fmt`, as Markdown source.

    Line breaks in the file are spaces, `\\n` starts a paragraph; in `[markdown]`
    text both are kept as written. Inline texts (choices, feedback) are one line.
    """
    if fmt == "plain":
        markdown = _escape_markdown(_paragraphs(text))
    elif fmt == "markdown":
        markdown = _reveal(text, "\n")
        flags.html = flags.html or bool(_TAG.search(markdown))
    elif fmt == "html" or _TAG.search(text):
        flags.html = flags.html or bool(_TAG.search(text))
        converter = _HtmlToMarkdown()
        converter.feed(_reveal(text, "<br>"))
        converter.close()
        flags.images += converter.images
        markdown = converter.markdown()
    else:
        markdown = _paragraphs(text)
    return _one_line(markdown) if inline else markdown.strip()


def _paragraphs(text: str) -> str:
    """Line breaks of the file as spaces, `\\n` as a paragraph break."""
    return _SOFT_BREAK.sub("\n", _reveal(_SOFT_BREAK.sub(" ", text), "\n\n"))


def _plain(text: str, fmt: str) -> str:
    """An answer that is compared, not shown: revealed, on one line, format marker removed."""
    return _one_line(_reveal(_with_format(text, fmt)[1], " "))


# --- Markdown that the quiz parser reads back unchanged ------------------------------


def _safe_heading(text: str) -> str:
    if _heading_reads_back(text):
        return text
    text = text.replace("{", "&#123;")
    return text if _heading_reads_back(text) else text.replace("}", "&#125;")


def _heading_reads_back(text: str) -> bool:
    match = HEADING.match(f"## {text} {{#x}}")
    return match is not None and match.group("text") == text and match.group("id") == "x"


def _safe_line(line: str) -> str:
    """`line` of a question text, changed only if the quiz parser would take it for more."""
    if not line.strip():
        return ""
    for _ in range(4):
        if HEADING.match(line):
            line = "#" + line  # `###` is a subheading, not a new question
        elif SINGLE.match(line) or MULTIPLE.match(line):
            line = "\\" + line
        elif PAIR.match(line):
            line = line.replace("->", "-\\>").replace("→", "&#8594;")
        elif ORDERED.match(line):
            line = re.sub(r"^(\d+)([.)])", r"\1\\\2", line)
        elif (key := KEY_LINE.match(line)) and (
            key.group("key") in QUESTION_KEYS
            or difflib.get_close_matches(key.group("key"), QUESTION_KEYS, n=1, cutoff=0.75)
        ):
            line = line.replace(":", "&#58;", 1)
        else:
            break
    return line


def _safe_prompt(prompt: str, cloze: bool = False) -> str:
    """`prompt` as the quiz parser returns it: heading, blank line, body; nothing misread.

    Idempotent, and a prompt that came from the parser is returned unchanged.
    """
    text = prompt.strip()
    if cloze:
        text = re.sub(r"\[{2,}|\]{2,}", lambda m: "".join("\\" + c for c in m.group()), text)
    first, _, rest = text.partition("\n")
    lines: list[str] = []
    fences = Fences()
    for line in rest.strip().split("\n") if rest.strip() else []:
        lines.append(line if fences.step(line) else _safe_line(line))
    if fences.open:
        lines.append(fences.marker or "```")
    heading = _safe_heading(first.strip())
    return f"{heading}\n\n" + "\n".join(lines) if lines else heading


def _gap_safe(text: str) -> bool:
    """Whether `text` can stand in a gap `[[…]]` (which has no escapes)."""
    return bool(text) and not (
        "|" in text or "[[" in text or "]]" in text or text.endswith("]") or "\n" in text
    )


# --- Reading GIFT -----------------------------------------------------------------


@dataclass
class _Block:
    """The lines of one question (comments removed), escapes hidden."""

    text: str
    numbers: list[int]  # file line of each line of `text`

    def line_at(self, offset: int) -> int:
        return self.numbers[min(self.text.count("\n", 0, offset), len(self.numbers) - 1)]


def _blocks(text: str) -> Iterator[_Block]:
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    current: list[tuple[int, str]] = []
    for number, raw in enumerate([*lines, ""], start=1):
        if not raw.strip():
            if current:
                yield _Block(_hide("\n".join(t for _n, t in current)), [n for n, _t in current])
            current = []
        elif not raw.lstrip().startswith("//"):
            current.append((number, raw))


@dataclass
class _Answer:
    marker: str  # "=", "~", or "" for text before the first marker
    weight: Decimal | None  # from %n%
    text: str
    feedback: str | None  # None without `#`
    line: int


def _split_answers(
    block: _Block, start: int, region: str, markers: str, feedback: bool = True
) -> list[_Answer]:
    answers: list[_Answer] = []
    pieces = re.split(f"([{re.escape(markers)}])", region)
    offset = start
    marker = ""
    for index, piece in enumerate(pieces):
        if index % 2:
            marker = piece
            offset += 1
            continue
        if marker or piece.strip():
            line = block.line_at(offset + len(piece) - len(piece.lstrip()))
            weight = None
            match = _WEIGHT.match(piece)
            body = piece
            if match:
                weight = Decimal(match.group(1))
                body = piece[match.end() :]
            text, hash_sign, comment = body.partition("#") if feedback else (body, "", "")
            answers.append(_Answer(marker, weight, text, comment if hash_sign else None, line))
        offset += len(piece)
    return answers


@dataclass
class _Parsed:
    """One GIFT question, split into its parts (escapes still hidden)."""

    block: _Block
    line: int
    number: int  # position among the file's questions, from 1
    title: str | None
    fmt: str
    before: str  # question text before the answer block
    after: str  # … and after it
    region: str  # the answers, without the general feedback
    region_start: int  # offset of `region` in the block
    general: str  # general feedback (`####…`)
    flags: _Flags = field(default_factory=_Flags)

    @property
    def inside(self) -> bool:
        """The answer block stands inside the text (Moodle's "missing word" form)."""
        return bool(self.after.strip())


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _numeric(value: str) -> tuple[Decimal, Decimal] | None:
    """`n`, `n:tolerance` or `low..high` as (number, tolerance); None if it is none of them."""
    low, dots, high = value.partition("..")
    if dots:
        first, last = _number(low), _number(high)
        if first is None or last is None:
            return None
        return (first + last) / 2, abs(last - first) / 2
    text, colon, margin = value.partition(":")
    number = _number(text)
    tolerance = _number(margin) if colon else Decimal(0)
    if number is None or tolerance is None:
        return None
    return number, abs(tolerance)


def _percent(weight: Decimal) -> str:
    return f"{weight.normalize():f}%"


class _Reader:
    """Reads GIFT blocks one by one; collects the questions, the notes and the ids in use."""

    def __init__(self) -> None:
        self.questions: list[Question] = []
        self.notes: list[Note] = []
        self.ids: set[str] = set()
        self.found = 0
        self.current = ""  # the question being read, as notes name it

    def note(self, line: int, template: str | LazyString, **params: object) -> None:
        self.notes.append(Note(line, template, params, self.current))

    def read(self, block: _Block) -> None:
        text = block.text
        start = len(text) - len(text.lstrip())
        self.current = ""
        if text.startswith("$CATEGORY:", start):
            first, newline, rest = text.partition("\n")
            name = _reveal(first.strip()[len("$CATEGORY:") :]).strip()
            self.note(block.numbers[0], _l("category %(name)s not kept: all questions go into "
                                           "one quiz unit"), name=repr(name))  # fmt: skip
            if newline and rest.strip():
                self.read(_Block(text[len(first) + 1 :], block.numbers[1:]))
            return
        self.found += 1
        parsed = self._split(block, start)
        if parsed is None:
            return
        question = self._convert(parsed)
        if question is None:
            return
        if parsed.flags.html:
            self.note(parsed.line, _l("HTML markup converted to Markdown (check the result)"))
        if parsed.flags.images:
            self.note(parsed.line, _l("images are not imported: put them into the course's "
                                      "assets/ folder and add them to the question"))  # fmt: skip
        self.questions.append(question)

    def _split(self, block: _Block, start: int) -> _Parsed | None:
        text = block.text
        line = block.line_at(start)
        title = None
        position = start
        if text.startswith("::", position):
            end = text.find("::", position + 2)
            if end >= 0:
                title = _one_line(_reveal(text[position + 2 : end]))
                position = end + 2
            else:
                position += 2
        # Untitled questions get the id q<number> (see _id): notes name them so.
        self.current = title or f"q{self.found}"
        fmt = "moodle"
        marker = _FORMAT.match(text, position)
        if marker:
            fmt, position = marker.group(1), marker.end()
        opening = text.find("{", position)
        closing = text.find("}", opening + 1) if opening >= 0 else -1
        if opening < 0 and "}" not in text[position:]:
            self.note(line, _l("description without answers: not a question, not converted"))
            return None
        if opening < 0 or closing < 0:
            self.note(line, _l("the answers are not enclosed in { }: not converted"))
            return None
        if "{" in text[closing + 1 :]:
            self.note(line, _l("only the first answer block { } is used; the rest stays in the "
                               "text"))  # fmt: skip
        region = text[opening + 1 : closing]
        general = ""
        split = region.rfind("####")
        if split >= 0:
            region, general = region[:split], region[split + 4 :]
        return _Parsed(block, line, self.found, title, fmt, text[position:opening],
                       text[closing + 1 :], region, opening + 1, general)  # fmt: skip

    def _convert(self, q: _Parsed) -> Question | None:
        answers = q.region.strip()
        if not answers:  # an essay, graded by a trainer (a rubric can be added by hand)
            return self._question(q, QuestionType.ESSAY, "")
        if answers.startswith("#"):
            return self._numerical(q)
        if "~" in answers:
            return self._multichoice(q)
        if "=" in answers and "->" in answers:
            return self._matching(q)
        if answers.partition("#")[0].strip().upper() in _TRUE_FALSE:
            return self._true_false(q)
        return self._short_answer(q)

    # --- building questions ---

    def _question(self, q: _Parsed, qtype: QuestionType, mark: str, **fields: object) -> Question:
        """The question with id, prompt (answer block replaced by `mark`) and explanation."""
        after = q.after
        if mark == "" and q.inside and any(c.isalnum() for c in _reveal(after)):
            mark = _BLANK
        elif mark == "":
            after = ""  # only closing punctuation followed the answers
        prompt = _markup(q.before + _MARK + after, q.fmt, q.flags, inline=False)
        prompt = _safe_prompt(prompt.replace(_MARK, mark), cloze=qtype is QuestionType.CLOZE)
        general_format, general = _with_format(q.general, q.fmt)
        return Question(
            id=self._id(q),
            type=qtype,
            prompt=prompt,
            line=q.line,
            explanation=_markup(general, general_format, q.flags, inline=True),
            **fields,  # type: ignore[arg-type]
        )

    def _id(self, q: _Parsed) -> str:
        if q.title and ID_PATTERN.match(q.title):
            base = q.title
        elif q.title:
            base = slugify(q.title)[:60].rstrip("-")
        else:
            base = f"q{q.number}"
        qid = base
        suffix = 2
        while qid in self.ids:
            qid = f"{base}-{suffix}"
            suffix += 1
        self.ids.add(qid)
        return qid

    def _choice(
        self, q: _Parsed, answer: _Answer, correct: bool, weight: Decimal | None = None
    ) -> Choice:
        fmt, text = _with_format(answer.text, q.fmt)
        feedback = ""
        if answer.feedback:
            feedback_format, feedback_text = _with_format(answer.feedback, fmt)
            feedback = _markup(feedback_text, feedback_format, q.flags, inline=True)
        markdown = _markup(text, fmt, q.flags, inline=True)
        return Choice(markdown, correct, feedback, answer.line, weight)

    def _multichoice(self, q: _Parsed) -> Question | None:
        answers = _split_answers(q.block, q.region_start, q.region, "~=")
        if len(answers) < 2:
            self.note(q.line, _l("a multiple-choice question needs at least two answers: not "
                                 "converted"))  # fmt: skip
            return None
        weights = [
            a.weight if a.weight is not None else _FULL if a.marker == "=" else Decimal(0)
            for a in answers
        ]
        if any(w < -_FULL for w in weights):
            self.note(q.line, _l("answer weights below -100%% (not allowed in Moodle) count as "
                                 "-100%%"))  # fmt: skip
            weights = [max(w, -_FULL) for w in weights]
        pick_one = any(a.marker == "=" for a in answers) and any(w >= _FULL for w in weights)
        if pick_one:  # Moodle shows radio buttons: one answer is picked
            return self._pick_one(q, answers, weights)
        # Moodle shows check boxes; the weights of the ticked answers add up
        correct = [w > 0 for w in weights]
        positive = [w for w in weights if w > 0]
        if not positive:
            self.note(q.line, _l("no answer is marked correct: not converted"))
            return None
        count = len(positive)
        share = _FULL / count
        if count == 1 and positive[0] >= _FULL and all(w <= -_FULL for w in weights if w <= 0):
            # Exactly the one correct answer earns the points: all or nothing.
            choices = tuple(self._choice(q, a, c) for a, c in zip(answers, correct, strict=True))
            return self._question(q, QuestionType.MULTIPLE, "", choices=choices)
        if all(abs(w - share) <= _ROUNDING for w in positive) and all(
            abs(w + share) <= _ROUNDING for w in weights if w <= 0
        ):
            # Each correct answer earns its share and each wrong one takes it off: partial.
            choices = tuple(self._choice(q, a, c) for a, c in zip(answers, correct, strict=True))
            return self._question(q, QuestionType.MULTIPLE, "", choices=choices,
                                  scoring=Scoring.PARTIAL)  # fmt: skip
        total = sum(positive, Decimal(0))
        if abs(total - _FULL) > WEIGHT_SLACK:
            shown = ", ".join(_percent(w) for w in weights)
            self.note(q.line, _l("the weights of the correct answers (%(weights)s) add up to "
                                 "%(total)s: scaled to add up to 100%%, so that ticking all "
                                 "of them earns the full points"),
                      weights=shown, total=_percent(total))  # fmt: skip
            weights = [_scaled(w, total) if w > 0 else w for w in weights]
        choices = tuple(
            self._choice(q, a, w > 0, w or None) for a, w in zip(answers, weights, strict=True)
        )
        return self._question(q, QuestionType.MULTIPLE, "", choices=choices,
                              scoring=Scoring.PARTIAL)  # fmt: skip

    def _pick_one(self, q: _Parsed, answers: list[_Answer], weights: list[Decimal]) -> Question:
        """A question whose learners pick one answer (radio buttons in Moodle)."""
        correct = [w >= _FULL for w in weights]
        others = [w for w in weights if w < _FULL and w != 0]
        if sum(correct) > 1:
            self.note(q.line, _l("several answers give full credit (learners picked one): now "
                                 "multiple choice, where all of them must be ticked"))  # fmt: skip
            if others:
                dropped = ", ".join(
                    f"{self._choice(q, a, False).text or '(empty)'!r} ({_percent(w)})"
                    for a, w in zip(answers, weights, strict=True) if w < _FULL and w != 0
                )  # fmt: skip
                self.note(q.line, _l("weights dropped for %(answers)s: they count as wrong "
                                     "answers"), answers=dropped)  # fmt: skip
            choices = tuple(self._choice(q, a, c) for a, c in zip(answers, correct, strict=True))
            return self._question(q, QuestionType.MULTIPLE, "", choices=choices)
        if any(w < 0 for w in others):
            self.note(q.line, _l("a negative weight on a single answer costs no more than a "
                                 "wrong answer here (a question never earns less than 0 "
                                 "points); Moodle takes it off the whole quiz"))  # fmt: skip
        choices = tuple(
            self._choice(q, a, c, w if not c and w != 0 else None)
            for a, c, w in zip(answers, correct, weights, strict=True)
        )
        if q.inside:
            plain = tuple(Choice(c.text, c.correct, line=c.line) for c in choices)
            if any(w > 0 for w in others):  # a negative weight scores as a wrong answer
                self.note(q.line, _l("answers with partial credit cannot stand in a gap: "
                                     "written as a question with a blank %(blank)s"),
                          blank=_BLANK)  # fmt: skip
            elif all(_gap_safe(c.text) for c in choices):
                if any(c.feedback for c in choices):
                    self.note(q.line, _l("feedback on the answers of a gap is not supported: "
                                         "dropped"))  # fmt: skip
                return self._question(q, QuestionType.CLOZE, "{{gap:0}}", gaps=(Gap(plain),))
            else:
                self.note(q.line, _l("an answer contains | or [[ ]] and cannot stand in a gap: "
                                     "written as a question with a blank %(blank)s"),
                          blank=_BLANK)  # fmt: skip
        return self._question(q, QuestionType.SINGLE, "", choices=choices)

    def _true_false(self, q: _Parsed) -> Question:
        word, *comments = q.region.strip().split("#", 2)
        answer = _TRUE_FALSE[word.strip().upper()]
        # GIFT: {TRUE#feedback when answered wrongly#feedback when answered rightly}
        feedback = []
        for comment in [*comments, "", ""][:2]:
            fmt, text = _with_format(comment, q.fmt)
            feedback.append(_markup(text, fmt, q.flags, inline=True))
        wrong, right = feedback
        return self._question(
            q,
            QuestionType.TRUE_FALSE,
            "",
            answer_bool=answer,
            feedback_true=right if answer else wrong,
            feedback_false=wrong if answer else right,
        )

    def _short_answer(self, q: _Parsed) -> Question | None:
        answers = _split_answers(q.block, q.region_start, q.region, "=")
        accepted: list[str] = []
        dropped: list[str] = []
        for answer in answers:
            text = _plain(answer.text, q.fmt)
            weight = answer.weight if answer.weight is not None else _FULL
            if weight >= _FULL and text:
                accepted.append(text)
            elif text:
                dropped.append(f"{text!r} ({_percent(weight)})")
        if dropped:
            self.note(q.line, _l("typed answers have no partial credit: %(answers)s dropped, "
                                 "they count as wrong answers"),
                      answers=", ".join(dropped))  # fmt: skip
        if any(a.feedback for a in answers):
            self.note(q.line, _l("feedback on typed answers is not supported: dropped"))
        if not accepted:
            self.note(q.line, _l("no answer gives full credit: not converted"))
            return None
        plain, regex = _wildcards(accepted)
        if q.inside and regex is None:
            if all(_gap_safe(a) and not re.match(r"\([ xX]\)", a) for a in plain):
                gap = Gap(text=TextRule(tuple(plain)))
                return self._question(q, QuestionType.CLOZE, "{{gap:0}}", gaps=(gap,))
            self.note(q.line, _l("an answer contains | or [[ ]] and cannot stand in a gap: "
                                 "written as a question with a blank %(blank)s"),
                      blank=_BLANK)  # fmt: skip
        elif q.inside:
            self.note(q.line, _l("wildcard answers cannot stand in a gap: written as a question "
                                 "with a blank %(blank)s"), blank=_BLANK)  # fmt: skip
        rule = TextRule(tuple(plain), regex=regex)
        return self._question(q, QuestionType.TEXT, "", text_rule=rule)

    def _numerical(self, q: _Parsed) -> Question | None:
        start = q.region_start + len(q.region) - len(q.region.lstrip()) + 1  # after `#`
        region, tilde, _wrong_feedback = q.region.lstrip()[1:].partition("~")
        if tilde:
            self.note(q.line, _l("feedback for wrong numbers is not supported: dropped"))
        answers = _split_answers(q.block, start, region, "=")
        ranges: list[tuple[Decimal, Decimal, Decimal]] = []  # (weight, number, tolerance)
        for answer in answers:
            value = _plain(answer.text, q.fmt)
            parsed = _numeric(value)
            if parsed is None:
                self.note(answer.line, _l("%(value)s is not a number, a number:tolerance or a "
                                          "range low..high: question not converted"),
                          value=repr(value))  # fmt: skip
                return None
            weight = answer.weight if answer.weight is not None else _FULL
            ranges.append((weight, *parsed))
        full = [r for r in ranges if r[0] >= _FULL]
        if not full:
            self.note(q.line, _l("no number gives full credit: not converted"))
            return None
        if any(a.feedback for a in answers):
            self.note(q.line, _l("feedback on numeric answers is not supported: dropped"))
        _weight, number, tolerance = full[0]
        bands: list[NumberBand] = []
        for weight, centre, margin in ranges:
            if (weight, centre, margin) == full[0] or weight == 0:
                continue  # the answer itself; a 0% answer only gave feedback
            if weight < 0:
                self.note(q.line, _l("the number %(number)s with a negative weight (%(weight)s) "
                                     "dropped: a question never earns less than 0 points here"),
                          number=_span(centre, margin), weight=_percent(weight))  # fmt: skip
                continue
            bands.append(NumberBand(centre - margin, centre + margin, min(weight, _FULL)))
        if _first_match_differs(ranges):
            self.note(q.line, _l("overlapping numeric answers: Moodle gives the credit of the "
                                 "first that matches, here the highest applies"))  # fmt: skip
        return self._question(q, QuestionType.NUMBER, "", number=number, tolerance=tolerance,
                              bands=tuple(bands))  # fmt: skip

    def _matching(self, q: _Parsed) -> Question | None:
        pairs: list[Pair] = []
        distractors: list[str] = []
        for answer in _split_answers(q.block, q.region_start, q.region, "=", feedback=False):
            left, arrow, right = answer.text.partition("->")
            left_format, left = _with_format(left, q.fmt)
            left_text = _markup(left, left_format, q.flags, inline=True)
            right_text = _markup(right, q.fmt, q.flags, inline=True)
            if not arrow or not right_text or "->" in left_text or "→" in left_text:
                self.note(answer.line, _l("a matching answer needs the form =left -> right: "
                                          "question not converted"))  # fmt: skip
                return None
            if left_text:
                pairs.append(Pair(left_text, right_text))
            else:
                distractors.append(right_text)
        if len(pairs) < 2:
            self.note(q.line, _l("a matching question needs at least two pairs: not converted"))
            return None
        return self._question(q, QuestionType.MATCHING, "", pairs=tuple(pairs),
                              distractors=tuple(distractors))  # fmt: skip


def _scaled(weight: Decimal, total: Decimal) -> Decimal:
    """`weight` of weights adding up to `total`, scaled to a total of 100 (5 decimals, as
    Moodle writes weights)."""
    return (weight * _FULL / total).quantize(Decimal("0.00001")).normalize()


def _span(centre: Decimal, margin: Decimal) -> str:
    return f"{centre:f} ± {margin:f}" if margin else f"{centre:f}"


def _first_match_differs(ranges: list[tuple[Decimal, Decimal, Decimal]]) -> bool:
    """Whether a number could match an earlier answer with less credit than a later one
    (Moodle takes the first answer that matches; the quiz dialect the best)."""
    for index, (weight, centre, margin) in enumerate(ranges):
        for earlier_weight, earlier_centre, earlier_margin in ranges[:index]:
            overlap = abs(centre - earlier_centre) <= margin + earlier_margin
            if overlap and earlier_weight < weight:
                return True
    return False


def _wildcards(answers: list[str]) -> tuple[list[str], str | None]:
    """Moodle's `*` (any text; `\\*` is a star) as a regex; the answers without one stay."""
    plain: list[str] = []
    patterns: list[str] = []
    for answer in answers:
        parts = re.split(r"(?<!\\)\*", answer)
        if len(parts) == 1:
            plain.append(answer.replace("\\*", "*"))
        else:
            patterns.append(".*".join(re.escape(p.replace("\\*", "*")) for p in parts))
    return plain, ("^(?:" + "|".join(patterns) + ")$") if patterns else None


def gift_to_questions(text: str) -> GiftImport:
    """Convert a GIFT file into questions of the quiz dialect, with notes on what was left out.

    Never fails on bad input: a question that cannot be converted is skipped with a
    note naming its line. Ids come from `::title::` (kept when it is a valid id,
    else slugified) or are `q1`, `q2`, … by position in the file; they are unique.
    """
    reader = _Reader()
    for block in _blocks(text):
        reader.read(block)
    return GiftImport(tuple(reader.questions), tuple(reader.notes), reader.found)


# --- Writing the quiz dialect ------------------------------------------------------------


def questions_to_markdown(
    questions: Sequence[Question], settings: QuizSettings | None = None, title: str = "Quiz"
) -> str:
    """A quiz unit file (front matter and questions) that the course parser reads back.

    Parsing the result gives questions equal to `questions` except for line numbers,
    as long as each question is valid (as the parser or `gift_to_questions` makes
    them): the first line of a prompt is the heading, the rest follows a blank line.
    """
    settings = settings or QuizSettings()
    front: dict[str, object] = {
        "type": "quiz",
        "title": title,
        "pass_mark": settings.pass_mark,
        "max_attempts": settings.max_attempts,
        "shuffle": settings.shuffle,
    }
    if settings.draw is not None:
        front["draw"] = settings.draw
    front["show_answers"] = settings.show_answers.value
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1_000_000)
    parts = [f"---\n{head}---", *(_question_markdown(q) for q in questions)]
    return "\n\n".join(parts) + "\n"


def _decimal(number: Decimal) -> str:
    return f"{number:f}"


def _question_markdown(q: Question) -> str:
    cloze = q.type is QuestionType.CLOZE
    prompt = _safe_prompt(q.prompt, cloze)
    if cloze:
        prompt = re.sub(
            r"\{\{gap:(\d+)\}\}", lambda m: _gap_markdown(q.gaps[int(m.group(1))]), prompt
        )
    heading, _, body = prompt.partition("\n")
    blocks = [f"## {heading} {{#{q.id}}}" if heading else f"## {{#{q.id}}}"]
    if body.strip():
        blocks.append(body.strip())
    answers: list[str] = []
    keys: list[tuple[str, str]] = []
    # The type follows from the answer part, except for these (see _infer_type in quiz.py).
    gap_like = "[[" in q.prompt or "]]" in q.prompt
    if q.type in (QuestionType.TEXT, QuestionType.CLOZE) or (
        gap_like and q.type in (QuestionType.NUMBER, QuestionType.TRUE_FALSE)
    ):
        keys.append(("type", q.type.value))
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        brackets = "()" if q.type is QuestionType.SINGLE else "[]"
        for choice in q.choices:
            mark = "x" if choice.correct else " "
            text = _one_line(choice.text)
            if (literal := CHOICE_WEIGHT.search(text)) is not None:  # text, not a weight
                text = text[: literal.start()] + text[literal.start() :].replace("{", "&#123;")
            if choice.weight is not None:
                text += f" {{{_percent(choice.weight)}}}"
            answers.append(f"- {brackets[0]}{mark}{brackets[1]} {text}".rstrip())
            if choice.feedback:
                answers.append(f"  > {_one_line(choice.feedback)}")
        if q.type is QuestionType.MULTIPLE and q.scoring is Scoring.PARTIAL:
            keys.append(("scoring", q.scoring.value))
    elif q.type is QuestionType.TRUE_FALSE:
        keys.append(("answer", "true" if q.answer_bool else "false"))
        keys.append(("feedback_true", _one_line(q.feedback_true)))
        keys.append(("feedback_false", _one_line(q.feedback_false)))
    elif q.type is QuestionType.NUMBER and q.number is not None:
        keys.append(("answer", _decimal(q.number)))
        if q.tolerance:
            keys.append(("tolerance", _decimal(q.tolerance)))
        keys.extend(("partial", _band_markdown(band)) for band in q.bands)
        keys.append(("unit", _one_line(q.unit)))
    elif q.type is QuestionType.TEXT and q.text_rule is not None:
        keys.extend(("answer", _one_line(answer)) for answer in q.text_rule.answers)
        keys.extend(_rule_keys(q.text_rule))
        keys.append(("regex", q.text_rule.regex or ""))
    elif cloze:
        rule = next((gap.text for gap in q.gaps if gap.text is not None), None)
        if rule is not None:
            keys.extend(_rule_keys(rule))
    elif q.type is QuestionType.MATCHING:
        answers.extend(f"- {_one_line(p.left)} -> {_one_line(p.right)}" for p in q.pairs)
        answers.extend(f"- -> {_one_line(d)}" for d in q.distractors)
    elif q.type is QuestionType.ORDERING:
        answers.extend(f"{n}. {_one_line(item)}" for n, item in enumerate(q.items, start=1))
    elif q.type is QuestionType.ESSAY:
        keys.append(("type", q.type.value))
        keys.extend(("rubric", f"{_one_line(c.text)} = {_decimal(c.points)}") for c in q.rubric)
        keys.append(("min_words", str(q.min_words or "")))
        keys.append(("max_words", str(q.max_words or "")))
    if q.points != 1 and not q.rubric:
        keys.append(("points", _decimal(q.points)))
    keys.append(("explanation", _one_line(q.explanation)))
    if answers:
        blocks.append("\n".join(answers))
    key_lines = [f"{key}: {value}" for key, value in keys if value]
    if key_lines:
        blocks.append("\n".join(key_lines))
    return "\n\n".join(blocks)


def _band_markdown(band: NumberBand) -> str:
    span = _decimal(band.low) if band.low == band.high else (
        f"{_decimal(band.low)}..{_decimal(band.high)}")  # fmt: skip
    return f"{span} = {_percent(band.weight)}"


def _rule_keys(rule: TextRule) -> list[tuple[str, str]]:
    return [("case", "sensitive" if rule.case_sensitive else ""),
            ("whitespace", "exact" if rule.exact_whitespace else "")]  # fmt: skip


def _gap_markdown(gap: Gap) -> str:
    if gap.choices:
        parts = [f"({'x' if c.correct else ' '}) {_one_line(c.text)}" for c in gap.choices]
    else:
        parts = [_one_line(answer) for answer in (gap.text.answers if gap.text else ())]
    return "[[" + " | ".join(parts) + "]]"


# --- Writing GIFT ----------------------------------------------------------------------


def _gift_escape(text: str) -> str:
    escaped = re.sub(r"([\\~=#{}:])", r"\\\1", text)
    return escaped.replace("\r", "").replace("\n", "\\n")


def _gift_answer(text: str) -> str:
    """A typed answer: `*` is Moodle's wildcard, so a literal star is written `\\*`."""
    return _gift_escape(text.replace("*", "\\*"))


def _weight(count: int) -> str:
    return f"{(_FULL / count).quantize(Decimal('0.00001')).normalize():f}"


def questions_to_gift(questions: Sequence[Question]) -> GiftExport:
    """GIFT text for the questions GIFT can express, with a note for each one it cannot.

    Each question gets its id as `::title::`; texts are marked `[markdown]` and
    escaped. Ordering questions and cloze texts with more than one gap are skipped;
    what GIFT cannot hold (points, units, case rules, …) is left out with a note.
    `gift_to_questions` reads the result back into equal questions, line numbers
    aside, except where a note says otherwise.
    """
    blocks: list[str] = []
    notes: list[Note] = []
    for question in questions:
        block = _question_gift(question, notes)
        if block is not None:
            blocks.append(block)
    return GiftExport("\n\n".join(blocks) + "\n" if blocks else "", tuple(notes), len(blocks))


def _question_gift(q: Question, notes: list[Note]) -> str | None:
    def note(template: str | LazyString, **params: object) -> None:
        notes.append(Note(q.line, template, params, q.id))

    if q.type is QuestionType.ORDERING:
        note(_l("ordering questions have no GIFT equivalent: skipped"))
        return None
    if q.type is QuestionType.CLOZE and len(q.gaps) != 1:
        note(_l("a cloze text with %(count)d gaps has no GIFT equivalent (one gap only): "
                "skipped"), count=len(q.gaps))  # fmt: skip
        return None
    if q.type is QuestionType.TEXT and (q.text_rule is None or not q.text_rule.answers):
        note(_l("a text question with only a regex has no GIFT equivalent: skipped"))
        return None
    if q.points != 1:
        note(_l("points (%(points)s) are not part of GIFT: set them in Moodle"),
             points=_decimal(q.points))  # fmt: skip
    general = f"####{_gift_escape(q.explanation)}" if q.explanation else ""
    head = f"::{_gift_escape(q.id)}::[markdown]"
    if q.type is QuestionType.CLOZE:
        before, _, after = q.prompt.partition("{{gap:0}}")
        gap = q.gaps[0]
        if gap.choices:
            answers = " ".join(
                ("=" if c.correct else "~") + _gift_escape(c.text) for c in gap.choices
            )
        else:
            assert gap.text is not None
            answers = " ".join("=" + _gift_answer(a) for a in gap.text.answers)
            _rule_notes(gap.text, note)
        if not after.strip():
            note(_l("the gap ends the text: Moodle reads it as a question with answers after "
                    "the text"))  # fmt: skip
        return f"{head}{_gift_escape(before)}{{{answers}{general}}}{_gift_escape(after)}"
    prompt = head + _gift_escape(q.prompt)
    if q.type is QuestionType.ESSAY:
        if q.rubric:
            note(_l("the rubric is not part of GIFT: left out"))
        if q.min_words or q.max_words:
            note(_l("the word limits are not part of GIFT: left out"))
        return f"{prompt} {{{general}}}"
    if q.type is QuestionType.TRUE_FALSE:
        right, wrong = (q.feedback_true, q.feedback_false) if q.answer_bool else (
            q.feedback_false, q.feedback_true)  # fmt: skip
        answer = "TRUE" if q.answer_bool else "FALSE"
        if wrong or right:
            answer += f"#{_gift_escape(wrong)}"
        if right:
            answer += f"#{_gift_escape(right)}"
        return f"{prompt} {{{answer}{general}}}"
    if q.type is QuestionType.NUMBER:
        assert q.number is not None
        value = _decimal(q.number) + (f":{_decimal(q.tolerance)}" if q.tolerance else "")
        if q.unit:
            note(_l("the unit (%(unit)s) is not part of GIFT: add it to the question text"),
                 unit=q.unit)  # fmt: skip
        if q.bands:
            bands = " ".join(f"=%{_percent(b.weight)}{_gift_band(b)}" for b in q.bands)
            return f"{prompt} {{#={value} {bands}{general}}}"
        return f"{prompt} {{#{value}{general}}}"
    lines = [f"{prompt} {{"]
    weights = choice_weights(q) if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE) else None
    if weights is not None:
        lines.extend(_gift_weighted(q, weights, note))
    elif q.type is QuestionType.SINGLE:
        lines.extend(_gift_choice("=" if c.correct else "~", c) for c in q.choices)
    elif q.type is QuestionType.MULTIPLE:
        correct = max(1, sum(c.correct for c in q.choices))
        wrong = f"%-{_weight(correct)}%" if q.scoring is Scoring.PARTIAL else "%-100%"
        lines.extend(_gift_choice(f"~%{_weight(correct)}%" if c.correct else f"~{wrong}", c)
                     for c in q.choices)  # fmt: skip
        if q.scoring is Scoring.ALL_OR_NOTHING and correct > 1:
            note(_l("GIFT has no all-or-nothing scoring for several correct choices: exported "
                    "with partial credit per correct choice and -100%% per wrong one"))  # fmt: skip
        elif q.scoring is Scoring.PARTIAL and correct == 1:
            note(_l("partial scoring with one correct choice reads back as all-or-nothing"))
        if correct > 10:
            note(_l("Moodle may refuse the answer weights of more than ten correct choices"))
    elif q.type is QuestionType.TEXT:
        assert q.text_rule is not None
        lines.extend(f"\t={_gift_answer(a)}" for a in q.text_rule.answers)
        _rule_notes(q.text_rule, note)
        if q.text_rule.regex:
            note(_l("the regex is not part of GIFT: left out"))
    elif q.type is QuestionType.MATCHING:
        lines.extend(f"\t={_gift_escape(p.left)} -> {_gift_escape(p.right)}" for p in q.pairs)
        lines.extend(f"\t= -> {_gift_escape(d)}" for d in q.distractors)
    if general:
        lines.append(f"\t{general}")
    lines.append("}")
    return "\n".join(lines)


def _gift_band(band: NumberBand) -> str:
    """A band as GIFT's number:tolerance, which reads back as the same band."""
    centre, margin = (band.low + band.high) / 2, (band.high - band.low) / 2
    return _decimal(centre) + (f":{_decimal(margin)}" if margin else "")


def _gift_weighted(
    q: Question, weights: tuple[Fraction, ...], note: Callable[..., None]
) -> list[str]:
    """The choices of a question with weights, each with its weight as `%n%`."""
    lines: list[str] = []
    for choice, share in zip(q.choices, weights, strict=True):
        percent = (Decimal(share.numerator) * _FULL / share.denominator).quantize(
            Decimal("0.00001")).normalize()  # fmt: skip
        if q.type is QuestionType.SINGLE and choice.correct:
            marker = "="
        else:
            marker = f"~%{_percent(percent)}" if percent else "~"
        lines.append(_gift_choice(marker, choice))
    if q.type is QuestionType.SINGLE and any(w < 0 for w in weights):
        note(_l("a negative weight on a single answer takes points off the whole quiz in "
                "Moodle; here it costs no more than a wrong answer"))  # fmt: skip
    return lines


def _gift_choice(marker: str, choice: Choice) -> str:
    feedback = f"#{_gift_escape(choice.feedback)}" if choice.feedback else ""
    return f"\t{marker}{_gift_escape(choice.text)}{feedback}"


def _rule_notes(rule: TextRule, note: Callable[..., None]) -> None:
    if rule.case_sensitive:
        note(_l("case-sensitive comparison is not part of GIFT: Moodle ignores case"))
    if rule.exact_whitespace:
        note(_l("exact whitespace comparison is not part of GIFT: left out"))
