"""Problems found in course files: where, what, and how to fix it, in the reader's language.

A problem keeps a code and its parameters; the sentence is made when it is
shown, so the same problem reads in German for one trainer and in English for
another. Every code has a message and a hint below.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    path: str  # relative to the courses root
    line: int  # 1-based; 0 when the problem concerns the whole file
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def message(self) -> str:
        template, _hint = MESSAGES[self.code]
        return str(template) % self.params if self.params else str(template)

    def hint(self) -> str:
        _template, hint = MESSAGES[self.code]
        return str(hint) % self.params if self.params else str(hint)

    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def format(self) -> str:
        """`path:line: message (hint)` as printed by `lms courses check`."""
        label = "" if self.is_error else str(_l("warning")) + ": "
        return f"{self.location()}: {label}{self.message()} {self.hint()}".rstrip()


def sort_key(problem: Problem) -> tuple[str, int, str]:
    return (problem.path, problem.line, problem.code)


# code -> (message, hint). Messages name the problem; hints say what to do.
MESSAGES: dict[str, tuple[LazyString, LazyString]] = {
    # Files and folders
    "not-a-folder": (
        _l("This is not a course folder."),
        _l("Give the path of a folder that contains a course.md."),
    ),
    "course-md-missing": (
        _l("The folder has no course.md."),
        _l("Every course needs a course.md with title, summary and language."),
    ),
    "bad-slug": (
        _l("The folder name %(name)s cannot be used as the course's address."),
        _l("Use lower-case letters, digits and hyphens only, e.g. it-sicherheit."),
    ),
    "bad-file-name": (
        _l("The file name %(name)s does not follow the pattern NN-name.md."),
        _l(
            "Name units like 01-einfuehrung.md: two digits, a hyphen, lower-case letters, "
            "digits and hyphens."
        ),
    ),
    "duplicate-position": (
        _l("Two units have the number %(position)s."),
        _l("Give every unit its own number."),
    ),
    "duplicate-unit-id": (
        _l("Two units are called %(id)s."),
        _l("The part after the number must be unique in the course."),
    ),
    "no-units": (
        _l("The course has no units."),
        _l("Add at least one file such as 01-einfuehrung.md."),
    ),
    "file-too-large": (
        _l("The file is larger than %(limit)s."),
        _l("Split the unit into several smaller units."),
    ),
    "not-utf8": (
        _l("The file is not valid UTF-8 text (byte %(offset)s)."),
        _l("Save the file as UTF-8 in your editor."),
    ),
    "binary-file": (
        _l("The file contains binary data, not text."),
        _l("Unit files must be Markdown text."),
    ),
    "unknown-language-file": (
        _l("The language %(lang)s of this file is not supported."),
        _l("Use .de.md or .en.md, or no language for the main language."),
    ),
    "translation-without-original": (
        _l("This translation has no original file %(name)s."),
        _l("Rename it to match a unit of the main language."),
    ),
    "translation-of-main-language": (
        _l("This file is marked as %(lang)s, the course's main language."),
        _l("The main language has no language ending; remove .%(lang)s."),
    ),
    # Front matter
    "front-matter-missing": (
        _l("The file does not start with a front matter block."),
        _l("Start the file with a line ---, then key: value lines, then another ---."),
    ),
    "front-matter-unclosed": (
        _l("The front matter block is not closed."),
        _l("Add a line with --- after the last key."),
    ),
    "front-matter-syntax": (
        _l("The front matter cannot be read: %(detail)s."),
        _l("Write one key: value per line; put text with a colon in quotes."),
    ),
    "front-matter-not-mapping": (
        _l("The front matter must be a list of key: value lines."),
        _l("Write one key: value per line."),
    ),
    "unknown-key": (_l("The key %(key)s is unknown here."), _l("Did you mean %(suggestion)s?")),
    "unknown-key-no-suggestion": (
        _l("The key %(key)s is unknown here."),
        _l("Allowed keys: %(allowed)s."),
    ),
    "missing-key": (
        _l("The key %(key)s is missing."),
        _l("Add a line %(key)s: … to the front matter."),
    ),
    "bad-value": (_l("%(key)s: %(value)s is not a valid value."), _l("Allowed: %(allowed)s.")),
    "bad-number": (
        _l("%(key)s must be a whole number from %(low)s to %(high)s, not %(value)s."),
        _l("Write a number without a unit, e.g. %(key)s: %(example)s."),
    ),
    "bad-validity": (
        _l("valid_for: %(value)s is not a period."),
        _l("Write a number and days, months or years, e.g. valid_for: 12 months."),
    ),
    "bad-refresh": (
        _l("refresh: %(value)s is not a period."),
        _l("Write numbers with days, weeks, months or years, e.g. refresh: [7 days, 30 days]."),
    ),
    "too-many-refreshers": (
        _l("refresh: %(count)s repetitions are more than %(limit)s."),
        _l("Keep the few that matter most, e.g. refresh: [7 days, 30 days]."),
    ),
    "refresh-order": (
        _l("refresh: the periods are not in increasing order."),
        _l("Write the shortest first, e.g. refresh: [7 days, 30 days, 3 months]."),
    ),
    "bad-tags": (
        _l("tags: is not a list of topics."),
        _l("Write the topics in square brackets, e.g. tags: [Datenschutz, Digitale Werkzeuge]."),
    ),
    "empty-tag": (
        _l("tags: one of the topics is empty."),
        _l("Remove the empty entry or the extra comma."),
    ),
    "tag-too-long": (
        _l("tags: the topic %(tag)s is longer than %(limit)s characters."),
        _l("Use a short label of one to three words, e.g. Arbeitssicherheit."),
    ),
    "too-many-tags": (
        _l("tags: %(count)s topics are more than %(limit)s."),
        _l("Keep the few topics a learner would search for."),
    ),
    "duplicate-tag": (
        _l("tags: the topic %(tag)s appears twice."),
        _l("Remove the second one."),
    ),
    "refresh-without-questions": (
        _l("refresh: the course has no quiz questions to repeat."),
        _l("Add a quiz unit, or remove refresh:."),
    ),
    "empty-value": (_l("%(key)s is empty."), _l("Write a text after %(key)s:.")),
    "bad-language": (_l("The language %(value)s is not supported."), _l("Use de or en.")),
    "empty-unit": (
        _l("The unit has no content."),
        _l("Write the text of the unit below the front matter."),
    ),
    # Quizzes
    "no-questions": (
        _l("The quiz has no questions."),
        _l("Start each question with a line ## Question text {#question-id}."),
    ),
    "question-without-id": (
        _l("The question has no id."),
        _l("End the heading with an id in braces, e.g. ## How long? {#pw-length}."),
    ),
    "bad-question-id": (
        _l("The id %(id)s contains characters that are not allowed."),
        _l("Use a–z, A–Z, digits, - and _ only (no umlauts or spaces)."),
    ),
    "duplicate-question-id": (
        _l("The question id %(id)s is used twice in this course."),
        _l("Give each question its own id; the first use is in %(other)s."),
    ),
    "no-answer-part": (
        _l("The question has no answers."),
        _l(
            "Add choices (- ( ) / - [ ]), answer: lines, gaps [[…]], pairs a -> b, "
            "or a numbered list."
        ),
    ),
    "mixed-choices": (
        _l("The question mixes ( ) and [ ] choices."),
        _l("Use ( ) for single choice or [ ] for multiple choice, not both."),
    ),
    "no-correct-choice": (
        _l("The question has no correct answer."),
        _l("Mark at least one answer with [x] or (x)."),
    ),
    "several-correct-single": (
        _l("The single-choice question has %(count)s correct answers."),
        _l("Mark exactly one with (x), or use [ ] and [x] for multiple choice."),
    ),
    "too-few-choices": (
        _l("The question has fewer than two choices."),
        _l("Give at least two choices."),
    ),
    "bad-boolean": (
        _l("answer: %(value)s is neither true nor false."),
        _l("Write answer: true or answer: false (also wahr/falsch)."),
    ),
    "number-missing": (
        _l("The number question has no number as its answer."),
        _l("Write e.g. answer: 24 (decimal point or comma)."),
    ),
    "bad-decimal": (
        _l("%(key)s: %(value)s is not a number."),
        _l("Write a number such as 2.5 or 2,5."),
    ),
    "negative-tolerance": (
        _l("The tolerance must not be negative."),
        _l("Write e.g. tolerance: 0.5."),
    ),
    # Weights of choices ({50%}) and partial credit of numbers (partial:)
    "weight-out-of-range": (
        _l("The weight %(weight)s is outside -100 %% to 100 %%."),
        _l("Write a weight from -100 %% to 100 %%, e.g. {50%%}."),
    ),
    "single-correct-weight": (
        _l("The correct answer (x) earns %(weight)s: it always earns 100 %%."),
        _l("Remove the weight, or mark another answer with (x)."),
    ),
    "single-wrong-weight": (
        _l("The answer ( ) earns %(weight)s: only the correct answer (x) earns 100 %%."),
        _l("Give it less than 100 %%, or mark it with (x) instead."),
    ),
    "correct-choice-weight": (
        _l("The answer [x] earns %(weight)s: a correct answer must earn more than 0 %%."),
        _l("Give it a positive weight, or mark it [ ] if ticking it is wrong."),
    ),
    "wrong-choice-weight": (
        _l("The answer [ ] earns %(weight)s: a wrong answer cannot earn points."),
        _l("Mark it [x] if it is correct, or give it 0 %% or a negative weight."),
    ),
    "weights-not-100": (
        _l("The weights of the correct answers [x] add up to %(total)s, not 100 %%."),
        _l(
            "Change them so that they add up to 100 %%; [x] answers without a weight share "
            "what is left."
        ),
    ),
    "weights-leave-nothing": (
        _l(
            "The weights of the correct answers [x] add up to %(total)s: nothing is left for "
            "the [x] answers without a weight."
        ),
        _l("Lower the weights, or give every [x] answer a weight so that they add up to 100 %%."),
    ),
    "weights-with-scoring-all": (
        _l("scoring: all cannot be combined with weights on the answers."),
        _l("Remove scoring: all (weights always give partial credit), or remove the weights."),
    ),
    # Essay questions (graded by a trainer)
    "bad-rubric": (
        _l("rubric: %(value)s is not a criterion with points."),
        _l("Write e.g. rubric: Names the hazard = 2 (one line per criterion)."),
    ),
    "rubric-points-differ": (
        _l("points: %(value)s differs from the rubric's sum of %(total)s points."),
        _l("Leave points: out (the rubric's sum counts) or make them agree."),
    ),
    "bad-word-limit": (
        _l("%(key)s: %(value)s is not a number of words from 1 to 10000."),
        _l("Write a whole number, e.g. min_words: 30."),
    ),
    "word-limits-crossed": (
        _l("min_words: %(low)s is more than max_words: %(high)s."),
        _l("Make min_words at most max_words."),
    ),
    "bad-partial": (
        _l("partial: %(value)s is not a range with a percentage."),
        _l("Write e.g. partial: 1400..1600 = 50%% or partial: 1500 ± 100 = 50%%."),
    ),
    "partial-weight-out-of-range": (
        _l("partial: the share %(weight)s must be more than 0 %% and at most 100 %%."),
        _l("Write e.g. partial: 1400..1600 = 50%%."),
    ),
    "bad-regex": (
        _l("The regular expression cannot be used: %(detail)s."),
        _l("Check brackets and special characters, or leave regex: out."),
    ),
    "text-answer-missing": (
        _l("The text question has no accepted answer."),
        _l("Add at least one answer: line or a regex: line."),
    ),
    "unbalanced-gap": (
        _l("A gap is opened with [[ but not closed with ]]."),
        _l("Close every gap with ]] on the same line."),
    ),
    "stray-gap-close": (
        _l("]] closes a gap that was never opened."),
        _l("Open the gap with [[ or remove the ]]."),
    ),
    "empty-gap": (_l("A gap has no answer."), _l("Write the accepted answer inside [[ ]].")),
    "no-gaps": (
        _l("The cloze question has no gaps."),
        _l("Write gaps as [[answer]] or [[( ) wrong | (x) right]]."),
    ),
    "bad-pair": (
        _l("A pair needs a text on both sides of ->."),
        _l("Write - left -> right, or - -> right for a distractor."),
    ),
    "too-few-pairs": (_l("A matching question needs at least two pairs."), _l("Add another pair.")),
    "too-few-items": (
        _l("An ordering question needs at least two steps."),
        _l("Add another step."),
    ),
    "duplicate-item": (
        _l("The step %(text)s appears twice."),
        _l("Each step must be distinct, otherwise the order is ambiguous."),
    ),
    "wrong-type-parts": (
        _l("A %(type)s question cannot have %(part)s."),
        _l("Remove them, or change type: to fit the answers."),
    ),
    "draw-too-large": (
        _l("draw: %(draw)s is more than the %(count)s questions of the quiz."),
        _l("Lower draw: or add questions."),
    ),
    "bad-points": (_l("points: %(value)s is not a positive number."), _l("Write e.g. points: 2.")),
    "checklist-missing": (
        _l("The on-the-job task has no checklist."),
        _l("Add a section ## Checkliste with lines - [ ] item."),
    ),
    "duplicate-checklist-id": (
        _l("The checklist id %(id)s is used twice."),
        _l("Give each item its own id {#…}."),
    ),
    # Translations
    "question-missing-in-translation": (
        _l("The question %(id)s is missing in the %(lang)s translation."),
        _l("Add it to %(path)s with the same id, or remove it from the original."),
    ),
    "question-only-in-translation": (
        _l("The question %(id)s exists only in the %(lang)s translation."),
        _l("Use the ids of the original file %(path)s."),
    ),
    "translation-differs": (
        _l("The question %(id)s differs from the original: %(detail)s."),
        _l("A translation changes texts only; answers and settings must match the original."),
    ),
    "translation-checklist-differs": (
        _l("The checklist ids differ from the original (%(original)s ≠ %(translation)s)."),
        _l("Give every checklist item the same id {#…} in both languages."),
    ),
    "translation-type-differs": (
        _l("The translated unit is of type %(type)s, the original %(original)s."),
        _l("Use the same type as the original."),
    ),
    # Assets and Markdown
    "asset-missing": (
        _l("The file %(target)s does not exist."),
        _l("Put it into the course's assets folder or correct the name."),
    ),
    "asset-outside": (
        _l("The link %(target)s points outside the course folder."),
        _l("Link only to files in assets/, e.g. assets/bild.png."),
    ),
    "asset-type": (_l("Files of type %(ext)s cannot be used."), _l("Allowed: %(allowed)s.")),
    "asset-too-large": (
        _l("The file %(target)s is larger than %(limit)s."),
        _l("Make it smaller (e.g. compress the image or video)."),
    ),
    "image-without-alt": (
        _l("The image %(target)s has no description (alt text)."),
        _l("Describe it in the brackets: ![What the image shows](%(target)s)."),
    ),
    "raw-html": (
        _l("Raw HTML %(tag)s will be removed or shown as text."),
        _l("Use Markdown instead of HTML."),
    ),
    "bad-link-scheme": (
        _l("The link %(target)s uses a scheme that is not allowed."),
        _l("Use http, https or mailto links, or links to assets/."),
    ),
    # The evaluation questionnaire (evaluation: in course.md)
    "evaluation-not-list": (
        _l("evaluation: is not a list of questions."),
        _l("Start each question with - id: on a line of its own, as in docs/course-format.md."),
    ),
    "evaluation-too-many": (
        _l("evaluation: %(count)s questions are more than %(limit)s."),
        _l("Keep the questionnaire short: it should take about two minutes."),
    ),
    "evaluation-not-question": (
        _l("Question %(number)s of evaluation: has no keys."),
        _l("Write it as - id: …, type: …, question: …, each key on its own line."),
    ),
    "evaluation-missing-key": (
        _l("Question %(number)s of evaluation: has no %(key)s."),
        _l("Add %(key)s: to the question, e.g. id: overall, type: scale, question: …"),
    ),
    "evaluation-bad-id": (
        _l("The question id %(id)s is not valid."),
        _l("Use lower case letters, digits and -, e.g. id: overall."),
    ),
    "evaluation-duplicate-id": (
        _l("The question id %(id)s appears twice in evaluation:."),
        _l("Give every question its own id."),
    ),
    "evaluation-too-long": (
        _l("%(key)s: is longer than %(limit)s characters."),
        _l("Shorten it to one plain sentence."),
    ),
    "evaluation-key-not-for-kind": (
        _l("%(key)s: does not belong to a question of type %(kind)s."),
        _l("low: and high: belong to type: scale, options: to type: choice. Remove it."),
    ),
    "evaluation-options": (
        _l("Question %(number)s of evaluation: needs %(low)s to %(high)s different options."),
        _l("List them in square brackets, e.g. options: [Lektionen, Wissenscheck, Präsenztermin]."),
    ),
    "evaluation-unknown-id": (
        _l("course.md has no evaluation question %(id)s."),
        _l("Translate the questions of course.md under the same id."),
    ),
    "evaluation-options-differ": (
        _l("The question %(id)s needs %(count)s options here, as in course.md."),
        _l("Translate each option of course.md, in the same order."),
    ),
    "evaluation-translation-missing": (
        _l("evaluation: the translation lacks the questions %(ids)s."),
        _l("Translate every question of course.md, or remove evaluation: from this file."),
    ),
    "evaluation-translation-without-original": (
        _l("evaluation: is translated here, but course.md has none."),
        _l("Write the questions in course.md first, then translate them here."),
    ),
    # Package units (type: package) – the unit file's package: key
    "package-path": (
        _l("package: %(value)s is not a ZIP file in the folder packages/."),
        _l("Write e.g. package: packages/brandschutz.zip."),
    ),
    "package-file-missing": (
        _l("The package %(value)s does not exist."),
        _l("Put the ZIP file into the course's folder packages/, or correct the name."),
    ),
    # A problem inside the package, reported at the unit's package: line
    "package-problem": (_l("%(package)s: %(where)s%(message)s"), _l("%(hint)s")),
    "package-items-differ": (
        _l(
            "The package of this translation has the items %(translation)s, "
            "the original's %(original)s."
        ),
        _l(
            "Use the edition of the package whose items (SCOs or AUs) have the same ids "
            "as the original's."
        ),
    ),
    # The package ZIP (lms/packages/reading.py)
    "package-not-a-zip": (
        _l("The package is not a ZIP file, or it is damaged."),
        _l("Use the ZIP file the publisher delivered for an LMS (SCORM or cmi5)."),
    ),
    "package-entry-unreadable": (
        _l("%(name)s in the package is damaged or packed in a way that cannot be read."),
        _l("Download the package again, or ask the publisher for a new one."),
    ),
    "package-encrypted": (
        _l("%(name)s in the package is protected by a password."),
        _l("Ask the publisher for the package without a password."),
    ),
    "package-unsafe-path": (
        _l("The path %(name)s leads outside the package (.. or an absolute path)."),
        _l("The package is refused; ask the publisher for a corrected one."),
    ),
    "package-symlink": (
        _l("%(name)s in the package is a link, not a file."),
        _l("The package is refused; ask the publisher for a corrected one."),
    ),
    "package-duplicate-path": (
        _l("%(name)s appears more than once in the package."),
        _l("The package is refused; ask the publisher for a corrected one."),
    ),
    "package-too-many-files": (
        _l("The package contains more than %(limit)s files."),
        _l("Ask the publisher for a smaller package, or split the content into several units."),
    ),
    "package-too-large": (
        _l("The package is larger than %(limit)s MB unpacked."),
        _l("Ask the publisher for a smaller package, e.g. with compressed videos."),
    ),
    "package-compression-ratio": (
        _l("%(name)s is packed more than %(ratio)s times smaller than its size, like a ZIP bomb."),
        _l("The package is refused; ask the publisher for a corrected one."),
    ),
    "package-compression-ratio-total": (
        _l(
            "The package's files are packed more than %(ratio)s times smaller than their "
            "size, like a ZIP bomb."
        ),
        _l("The package is refused; ask the publisher for a corrected one."),
    ),
    # The package's manifest (imsmanifest.xml, cmi5.xml)
    "package-no-manifest": (
        _l("The package has neither imsmanifest.xml (SCORM) nor cmi5.xml (cmi5) at its top."),
        _l(
            "Use the ZIP file the publisher delivered for an LMS (SCORM 1.2, SCORM 2004 or "
            "cmi5): it has one of these files at its top or in one single folder."
        ),
    ),
    "package-xml": (
        _l("The file is not well-formed XML: %(detail)s"),
        _l("Correct the XML at this line, or ask the publisher for a corrected package."),
    ),
    "package-xml-entities": (
        _l("The file declares XML entities (<!ENTITY …>), which Lernwerk does not read."),
        _l("Remove the DOCTYPE declaration, or ask the publisher for a package without one."),
    ),
    "package-scorm-version": (
        _l("The SCORM version %(value)s is unknown."),
        _l(
            "Lernwerk plays SCORM 1.2 and SCORM 2004: <schemaversion> 1.2, CAM 1.3, "
            "2004 3rd Edition or 2004 4th Edition."
        ),
    ),
    "package-no-organization": (
        _l("The manifest has no organization."),
        _l(
            "A SCORM package lists its content in <organizations><organization>; "
            "ask the publisher for a complete package."
        ),
    ),
    "package-no-sco": (
        _l("The package has nothing to launch: no item refers to a resource of type sco."),
        _l('A SCORM package needs at least one item whose resource has adlcp:scormType="sco".'),
    ),
    "package-no-au": (
        _l("The course structure has no AU."),
        _l("A cmi5 package needs at least one <au> with an id and a <url>."),
    ),
    "package-missing-resource": (
        _l("The item %(id)s refers to the resource %(ref)s, which the manifest does not have."),
        _l("Correct identifierref, or add the resource under <resources>."),
    ),
    "package-missing-value": (
        _l("%(element)s has no %(name)s."),
        _l("Add it: Lernwerk needs it to launch and track the package."),
    ),
    "package-launch-missing": (
        _l("The launch file %(path)s of %(id)s is not in the package."),
        _l("Put the file into the ZIP file, or correct the path (upper and lower case count)."),
    ),
    "package-unsafe-href": (
        _l("The path %(href)s of %(id)s leads outside the package."),
        _l("Use a path inside the package, e.g. index.html."),
    ),
    "package-remote-launch": (
        _l("%(id)s is launched from another server: %(url)s."),
        _l(
            "Lernwerk plays only packages it holds, so that the content cannot change "
            "under the learners and their data stays here. Ask the publisher for a package "
            "with all files inside."
        ),
    ),
    "package-mastery-score-12": (
        _l("adlcp:masteryscore %(value)s is not a number from 0 to 100."),
        _l("Write e.g. <adlcp:masteryscore>80</adlcp:masteryscore>."),
    ),
    "package-min-measure": (
        _l("imsss:minNormalizedMeasure %(value)s is not a number from -1 to 1."),
        _l("Write e.g. <imsss:minNormalizedMeasure>0.8</imsss:minNormalizedMeasure>."),
    ),
    "package-completion-threshold": (
        _l("adlcp:completionThreshold %(value)s is not a number from 0 to 1."),
        _l('Write e.g. <adlcp:completionThreshold minProgressMeasure="0.8"/>.'),
    ),
    "package-move-on": (
        _l("moveOn %(value)s is not one of %(allowed)s."),
        _l('Write e.g. moveOn="CompletedOrPassed".'),
    ),
    "package-mastery-score": (
        _l("masteryScore %(value)s is not a number from 0 to 1."),
        _l('Write e.g. masteryScore="0.8".'),
    ),
    "package-launch-method": (
        _l("launchMethod %(value)s is neither AnyWindow nor OwnWindow."),
        _l('Write launchMethod="AnyWindow" (or leave it out).'),
    ),
    "package-duplicate-id": (
        _l("The id %(id)s is used twice (first in line %(other)s)."),
        _l("Give every item (SCO or AU) its own id."),
    ),
    # Learning paths (courses/_paths/<slug>.md)
    "path-bad-slug": (
        _l("The file name %(name)s is not a valid path name."),
        _l("Use lower case letters, digits and -, e.g. digital-sicher.md."),
    ),
    "path-no-steps": (
        _l("The learning path has no steps."),
        _l("List the modules under steps:, one per line, e.g. - it-sicherheit."),
    ),
    "path-bad-step": (
        _l("Step %(number)s is neither a module name nor course: with after:."),
        _l("Write - it-sicherheit, or - course: it-sicherheit with after: [other-module]."),
    ),
    "path-unknown-course": (
        _l("There is no module %(slug)s."),
        _l("Use the folder name of a module in courses/."),
    ),
    "path-duplicate-course": (
        _l("The module %(slug)s appears twice in the path."),
        _l("List each module once."),
    ),
    "path-bad-prerequisite": (
        _l("%(slug)s must come after %(after)s, but %(after)s is not an earlier step."),
        _l("Name in after: only modules listed above this step."),
    ),
}
