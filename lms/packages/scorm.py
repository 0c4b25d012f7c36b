"""What SCORM runtime data means: reading a commit and judging it as the LMS.

Pure functions, no database: `read_commit` checks and reads the JSON a SCO's API
(scorm-again's `renderCommitCMI`) sends, `judge` works out completion and success
the way SCORM 1.2 and SCORM 2004 ask the LMS to, `stored_cmi` is what an attempt
keeps of it, and `load_data` is what the player loads into the API before the SCO
starts (`Scorm12API.loadFromJSON` / `Scorm2004API.loadFromJSON`).

Only the SCO's own data is taken from a commit (its location, suspend data, status,
score, time and interactions); what the LMS decides (the mastery score, the
completion threshold, credit, mode, the learner) comes from the package's manifest
and the server, whatever the commit says.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# Limits a commit must keep. suspend_data: SCORM 2004 allows 64,000 characters;
# SCORM 1.2 only 4,096, but many 1.2 packages store more, so both get the larger one.
MAX_SUSPEND_DATA = 64 * 1024
MAX_LOCATION = 1000
MAX_INTERACTIONS = 1000
MAX_OBJECTIVES = 250
# Interaction texts are cut to what the LMS keeps of them (the learner's data is safe:
# it is only shown in statistics, never handed back to the SCO in SCORM 1.2).
MAX_ID = 500
MAX_KIND = 30
MAX_RESPONSE = 4000
MAX_DESCRIPTION = 500
MAX_SHORT = 250  # timestamps, latencies, weightings, statuses, patterns

SCORM12 = "scorm12"
SCORM2004 = "scorm2004"


class CommitRefused(ValueError):
    """A commit the server does not store; `code` names why (for the player's log)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- Times ------------------------------------------------------------------------

_TIMESPAN_12 = re.compile(r"^(\d{1,6}):(\d{1,2}):(\d{1,2}(?:\.\d*)?)$")
_DURATION = re.compile(
    r"^P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?"
    r"(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?"
    r"(?:(\d+(?:[.,]\d+)?)S)?)?$"
)
# Years and months as SCORM's conformance tests count them.
_DURATION_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def timespan_seconds(value: object) -> float:
    """Seconds of a SCORM 1.2 CMITimespan ("HHHH:MM:SS.SS"); 0 if it is none."""
    found = _TIMESPAN_12.match(value.strip()) if isinstance(value, str) else None
    if found is None:
        return 0.0
    hours, minutes, seconds = found.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def duration_seconds(value: object) -> float:
    """Seconds of an ISO 8601 duration (SCORM 2004's timeinterval, "PT1H2M3.5S");
    0 if it is none."""
    found = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if found is None:
        return 0.0
    return sum(
        float(part.replace(",", ".")) * factor
        for part, factor in zip(found.groups(), _DURATION_SECONDS, strict=True)
        if part
    )


def timespan(seconds: int) -> str:
    """SCORM 1.2's "HHHH:MM:SS" for whole seconds (at most 9999 hours)."""
    seconds = min(max(seconds, 0), 9999 * 3600 + 3599)
    return f"{seconds // 3600:04d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def duration(seconds: int) -> str:
    """An ISO 8601 duration for whole seconds: "PT1H2M3S", "PT0S"."""
    seconds = max(seconds, 0)
    hours, minutes, rest = seconds // 3600, seconds % 3600 // 60, seconds % 60
    text = "".join(
        f"{amount}{mark}" for amount, mark in ((hours, "H"), (minutes, "M"), (rest, "S")) if amount
    )
    return f"PT{text or '0S'}"


# --- Reading a commit ---------------------------------------------------------------


def _decimal(value: object) -> Decimal | None:
    """A number the SCO reported (scorm-again sends strings), None if empty or no number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        text = str(value).strip()
        if not text or len(text) > 40:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        if not number.is_finite() or number.adjusted() > 15:
            return None  # no score is this large ("9E+999999" would overflow the sums)
        return number if number.adjusted() >= -20 else Decimal(0)
    return None


def _text(value: object, limit: int = MAX_SHORT) -> str:
    """A short text value of the SCO's, cut to `limit`, without NUL (PostgreSQL keeps
    none in text or JSON); numbers as text."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float | str):
        return str(value).replace("\x00", "")[:limit]
    return ""


def _whole_text(data: Mapping[str, Any], key: str, limit: int, code: str) -> str:
    """A text the SCO gets back as it was (location, suspend data): refused, not cut,
    when it is too long."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        else:
            raise CommitRefused("bad-value")
    if len(value) > limit:
        raise CommitRefused(code)
    if "\x00" in value:  # PostgreSQL keeps no NUL in text; the SCO must get it back as is
        raise CommitRefused("bad-value")
    return value


def _mapping(value: object) -> Mapping[str, Any]:
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        raise CommitRefused("bad-value")
    return value


def _entries(value: object, limit: int, code: str) -> list[tuple[int, Mapping[str, Any]]]:
    """The entries of a collection (`interactions`, `objectives`): scorm-again sends
    an object keyed "0", "1", …; a list is taken too. Sorted by position."""
    if value is None or value == "" or value == {}:
        return []
    if isinstance(value, list):
        items = list(enumerate(value))
    elif isinstance(value, Mapping):
        items = []
        for key, entry in value.items():
            if not (isinstance(key, str) and key.isdigit() and len(key) <= 6):
                continue  # "_count", "_children": not entries
            items.append((int(key), entry))
    else:
        raise CommitRefused("bad-value")
    if len(items) > limit:
        raise CommitRefused(code)
    return sorted((position, _mapping(entry)) for position, entry in items)


def _score(data: Mapping[str, Any], with_scaled: bool) -> dict[str, str]:
    """A score's parts the SCO set, as the decimal texts it sent."""
    score = _mapping(data.get("score"))
    names = ("scaled", "raw", "min", "max") if with_scaled else ("raw", "min", "max")
    kept = {}
    for name in names:
        number = _decimal(score.get(name))
        if number is not None:
            kept[name] = str(number)
    return kept


def _patterns(value: object) -> list[str]:
    return [
        _text(entry.get("pattern"), MAX_RESPONSE)
        for _, entry in _entries(value, 50, "too-many-values")
        if entry.get("pattern") not in (None, "")
    ]


def _objective_ids(value: object) -> list[str]:
    return [
        _text(entry.get("id"), MAX_ID)
        for _, entry in _entries(value, 50, "too-many-values")
        if entry.get("id") not in (None, "")
    ]


def _interaction(standard: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """One interaction as kept: only what the SCO set, `id` and `type` first (the order
    loadFromJSON must set them in)."""
    response_key = "learner_response" if standard == SCORM2004 else "student_response"
    time_key = "timestamp" if standard == SCORM2004 else "time"
    kept: dict[str, Any] = {
        "id": _text(entry.get("id"), MAX_ID),
        "type": _text(entry.get("type"), MAX_KIND),
        time_key: _text(entry.get(time_key)),
        "weighting": _text(entry.get("weighting")),
        response_key: _text(entry.get(response_key), MAX_RESPONSE),
        "result": _text(entry.get("result"), MAX_KIND),
        "latency": _text(entry.get("latency")),
        "description": _text(entry.get("description"), MAX_DESCRIPTION)
        if standard == SCORM2004
        else "",
        "correct_responses": [
            {"pattern": pattern} for pattern in _patterns(entry.get("correct_responses"))
        ],
        "objectives": [{"id": id_} for id_ in _objective_ids(entry.get("objectives"))],
    }
    return {key: value for key, value in kept.items() if value not in ("", [])}


def _objective(standard: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    if standard == SCORM2004:
        kept: dict[str, Any] = {
            "id": _text(entry.get("id"), MAX_ID),
            "score": _score(entry, with_scaled=True),
            "success_status": _text(entry.get("success_status")),
            "completion_status": _text(entry.get("completion_status")),
            "progress_measure": _text(entry.get("progress_measure")),
            "description": _text(entry.get("description"), MAX_DESCRIPTION),
        }
    else:
        kept = {
            "id": _text(entry.get("id"), MAX_ID),
            "score": _score(entry, with_scaled=False),
            "status": _text(entry.get("status")),
        }
    return {key: value for key, value in kept.items() if value not in ("", {})}


@dataclass(frozen=True)
class Interaction:
    """An interaction as the trainer's statistics keep it (`PackageInteraction`)."""

    position: int
    interaction_id: str
    kind: str
    result: str  # correct, incorrect, unanticipated, neutral or a number
    response: str
    description: str


@dataclass(frozen=True)
class Reported:
    """What a SCO reported in one commit, checked."""

    standard: str
    location: str
    suspend_data: str
    exit: str  # "suspend", "normal", "logout", "time-out" or ""
    # SCORM 1.2's lesson_status, or SCORM 2004's completion_status and success_status.
    lesson_status: str
    completion_status: str
    success_status: str
    score: dict[str, str]  # raw, min, max (and scaled: 2004) as decimal texts
    progress_measure: Decimal | None
    session_seconds: float
    interactions: tuple[dict[str, Any], ...]  # as kept in the attempt's cmi, by position
    positions: tuple[int, ...]  # each interaction's position (cmi.interactions.n)
    objectives: tuple[dict[str, Any], ...]

    @property
    def score_raw(self) -> Decimal | None:
        """The raw score as the attempt keeps it (4 decimals; None beyond ±10⁸)."""
        raw = _decimal(self.score.get("raw"))
        if raw is None:
            return None
        raw = raw.quantize(Decimal("0.0001"))  # 99999999.99999 rounds up to 10⁸
        return raw if abs(raw) < 10**8 else None

    def score_scaled(self) -> Decimal | None:
        """The scaled score (-1…1): SCORM 2004's score.scaled; SCORM 1.2 has none, so its
        raw score on min…max (0…100 unless the SCO says otherwise)."""
        if self.standard == SCORM2004:
            scaled = _decimal(self.score.get("scaled"))
            if scaled is not None:
                return min(max(scaled, Decimal(-1)), Decimal(1)).quantize(Decimal("0.0001"))
        raw = self.score_raw
        if raw is None:
            return None
        low = _decimal(self.score.get("min")) or Decimal(0)
        high = _decimal(self.score.get("max"))
        if high is None:
            high = Decimal(100)
        if high <= low:
            return None
        return min(max((raw - low) / (high - low), Decimal(0)), Decimal(1)).quantize(
            Decimal("0.0001")
        )

    def interaction_rows(self) -> list[Interaction]:
        """The interactions with an id, as the statistics keep them."""
        response_key = "learner_response" if self.standard == SCORM2004 else "student_response"
        rows = []
        for position, kept in zip(self.positions, self.interactions, strict=True):
            if not kept.get("id"):
                continue
            result = kept.get("result", "")
            rows.append(
                Interaction(
                    position=position,
                    interaction_id=kept["id"],
                    kind=kept.get("type", ""),
                    # SCORM 1.2 says "wrong" where 2004 says "incorrect": one word here.
                    result="incorrect" if result == "wrong" else result,
                    response=kept.get(response_key, ""),
                    description=kept.get("description", ""),
                )
            )
        return rows


def read_commit(standard: str, body: Mapping[str, Any]) -> Reported:
    """Check and read a commit's body (`{"cmi": {...}}`); `CommitRefused` if it is not
    one or a value the SCO gets back is too long."""
    if not isinstance(body, Mapping):
        raise CommitRefused("not-a-commit")
    cmi = body.get("cmi")
    if not isinstance(cmi, Mapping):
        raise CommitRefused("not-a-commit")
    suspend_data = _whole_text(cmi, "suspend_data", MAX_SUSPEND_DATA, "suspend-data-too-long")
    if standard == SCORM2004:
        location = _whole_text(cmi, "location", MAX_LOCATION, "location-too-long")
        source = cmi
        lesson_status = ""
        completion_status = _text(cmi.get("completion_status"))
        success_status = _text(cmi.get("success_status"))
        progress = _decimal(cmi.get("progress_measure"))
        session = duration_seconds(cmi.get("session_time"))
    else:
        source = _mapping(cmi.get("core"))
        location = _whole_text(source, "lesson_location", MAX_LOCATION, "location-too-long")
        lesson_status = _text(source.get("lesson_status"))
        completion_status = success_status = ""
        progress = None
        session = timespan_seconds(source.get("session_time"))
    entries = _entries(cmi.get("interactions"), MAX_INTERACTIONS, "too-many-interactions")
    objectives = _entries(cmi.get("objectives"), MAX_OBJECTIVES, "too-many-objectives")
    return Reported(
        standard=standard,
        location=location,
        suspend_data=suspend_data,
        exit=_text(source.get("exit")),
        lesson_status=lesson_status,
        completion_status=completion_status,
        success_status=success_status,
        score=_score(source, with_scaled=standard == SCORM2004),
        progress_measure=progress if progress is not None and 0 <= progress <= 1 else None,
        session_seconds=session if math.isfinite(session) else 0.0,
        interactions=tuple(_interaction(standard, entry) for _, entry in entries),
        positions=tuple(position for position, _ in entries),
        objectives=tuple(_objective(standard, entry) for _, entry in objectives),
    )


# --- Judging ------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Completion ("not_attempted", "incomplete", "completed", "unknown") and success
    ("passed", "failed", "unknown") as the LMS decides them."""

    completion: str
    success: str

    @property
    def final(self) -> bool:
        """A result the SCO is done with: completed, passed or failed."""
        return self.completion == "completed" or self.success != "unknown"


_LESSON_STATUS = {
    "passed": Verdict("completed", "passed"),
    "completed": Verdict("completed", "unknown"),
    "failed": Verdict("completed", "failed"),
    "incomplete": Verdict("incomplete", "unknown"),
    "browsed": Verdict("incomplete", "unknown"),
    "not attempted": Verdict("not_attempted", "unknown"),
}
_COMPLETION_STATUS = {
    "completed": "completed",
    "incomplete": "incomplete",
    "not attempted": "not_attempted",
    "unknown": "unknown",
}


def judge(
    reported: Reported,
    passing_score: Decimal | None,
    completion_threshold: Decimal | None,
    terminating: bool,
    before: Verdict,
) -> Verdict:
    """Completion and success of a commit as the LMS decides them.

    SCORM 1.2 (RTE 3.4.4, cmi.core.lesson_status and cmi.student_data.mastery_score):
    the SCO's lesson_status; with a mastery score and a raw score the LMS decides
    passed or failed by the raw score against the mastery score (in either
    direction, min and max play no part) once the SCO gives a verdict
    (passed, completed, failed) or ends the session without suspending. A status the
    SCO did not set keeps `before`.
    SCORM 2004 (RTE 4.2.4 and 4.2.22): completion_status, or completed/incomplete by
    progress_measure against the completion threshold when both are known;
    success_status; with a scaled passing score passed/failed by score.scaled
    against it, and unknown while there is no score.scaled.
    """
    if reported.standard == SCORM2004:
        completion = _COMPLETION_STATUS.get(reported.completion_status, before.completion)
        if completion_threshold is not None and reported.progress_measure is not None:
            completion = (
                "completed" if reported.progress_measure >= completion_threshold else "incomplete"
            )
        success = (
            reported.success_status
            if reported.success_status in ("passed", "failed", "unknown")
            else before.success
        )
        scaled = _decimal(reported.score.get("scaled"))
        if passing_score is not None:
            # With a scaled passing score only the score decides: without one the
            # success is unknown, whatever the SCO says (RTE 4.2.22).
            if scaled is None:
                success = "unknown"
            else:
                success = "passed" if scaled >= passing_score else "failed"
        return Verdict(completion, success)
    verdict = _LESSON_STATUS.get(reported.lesson_status, before)
    # The mastery score (0…100, the item's passing score × 100) is compared with the
    # raw score as it is, whatever its min and max (RTE 3.4.4).
    raw = _decimal(reported.score.get("raw"))
    decides = verdict.final or (terminating and reported.exit != "suspend")
    if passing_score is not None and raw is not None and decides:
        return Verdict("completed", "passed" if raw >= passing_score * 100 else "failed")
    return verdict


def meets_move_on(move_on: str, completion: str, success: str) -> bool:
    """Whether an item counts as done by its `move_on` (cmi5's words, see `PackageItem`)."""
    completed, passed = completion == "completed", success == "passed"
    return {
        "Passed": passed,
        "Completed": completed,
        "CompletedAndPassed": completed and passed,
        "CompletedOrPassed": completed or passed,
        "NotApplicable": True,
    }.get(move_on, False)


def satisfied(move_on: str, verdict: Verdict) -> bool:
    """Whether a SCORM item is done: its `move_on` met, and never when it failed (a
    failed SCO is not done because it also reports completed)."""
    if move_on != "NotApplicable" and verdict.success == "failed":
        return False
    return meets_move_on(move_on, verdict.completion, verdict.success)


def ends_attempt(reported: Reported, verdict: Verdict) -> bool:
    """Whether a terminating commit ends the attempt (the next launch starts a new one).

    SCORM 2004: any exit but "suspend" (RTE 4.2.8). SCORM 1.2 leaves it to the LMS:
    an attempt ends when the SCO exits without suspending with a verdict (completed,
    passed, failed); an unfinished one stays open with its suspend data and location,
    since many SCORM 1.2 packages never say "suspend" and would lose the learner's
    progress.
    """
    if reported.exit == "suspend":
        return False
    return reported.standard == SCORM2004 or verdict.final


# --- What an attempt keeps, and what the player loads -------------------------------


def stored_cmi(reported: Reported) -> dict[str, Any]:
    """The SCO's own data an attempt keeps besides its columns (location, suspend data):
    what the next launch loads again, and the interactions to compare the next commit
    with."""
    kept: dict[str, Any] = {"exit": reported.exit, "score": reported.score}
    if reported.standard == SCORM2004:
        kept["completion_status"] = reported.completion_status
        kept["success_status"] = reported.success_status
        if reported.progress_measure is not None:
            kept["progress_measure"] = str(reported.progress_measure)
    else:
        kept["lesson_status"] = reported.lesson_status
    kept["objectives"] = list(reported.objectives)
    kept["interactions"] = list(reported.interactions)
    kept["positions"] = list(reported.positions)
    return kept


def changed_interactions(stored: Mapping[str, Any], reported: Reported) -> list[int]:
    """The positions whose interaction differs from what the attempt has stored."""
    before = dict(
        zip(stored.get("positions") or [], stored.get("interactions") or [], strict=False)
    )
    return [
        position
        for position, kept in zip(reported.positions, reported.interactions, strict=True)
        if before.get(position) != kept
    ]


def learner_name_12(display_name: str) -> str:
    """SCORM 1.2's student_name, "Last, First" (RTE 3.4.2): the last word of a name
    first; a name with a comma, or of one word, as it is."""
    name = " ".join(display_name.split())
    if "," in name or " " not in name:
        return name
    first, last = name.rsplit(" ", 1)
    return f"{last}, {first}"


def _plain_decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _lesson_status(completion: str, success: str, stored: Mapping[str, Any]) -> str:
    if success in ("passed", "failed"):
        return success
    if completion == "completed":
        return "completed"
    if completion == "incomplete":
        return "browsed" if stored.get("lesson_status") == "browsed" else "incomplete"
    return "not attempted"


def entry_value(standard: str, stored: Mapping[str, Any]) -> str:
    """cmi.entry / cmi.core.entry: "ab-initio" before the attempt's first commit,
    "resume" after the SCO suspended, else "" (both standards)."""
    if "exit" not in stored:
        return "ab-initio"
    return "resume" if stored.get("exit") == "suspend" else ""


@dataclass(frozen=True)
class Learner:
    """Who the SCO is told it runs for: an account id of this platform and a name."""

    id: str
    name: str
    language: str


def load_data(
    standard: str,
    stored: Mapping[str, Any],
    *,
    completion: str,
    success: str,
    location: str,
    suspend_data: str,
    total_seconds: int,
    item: Mapping[str, Any],
    learner: Learner,
) -> dict[str, Any]:
    """What the player loads into scorm-again before the SCO starts (`{"cmi": {...}}`).

    loadFromJSON sets even read-only elements before the API is initialised, and skips
    empty values; every value is text, as the SCO would get it from GetValue.
    """
    passing = _decimal(item.get("passing_score"))
    threshold = _decimal(item.get("completion_threshold"))
    score = dict(stored.get("score") or {})
    entry = entry_value(standard, stored)
    if standard == SCORM2004:
        cmi: dict[str, Any] = {
            "learner_id": learner.id,
            "learner_name": learner.name,
            "location": location,
            "suspend_data": suspend_data,
            "launch_data": item.get("launch_data") or "",
            "completion_status": completion.replace("_", " "),
            "success_status": success,
            "entry": entry,
            "credit": "credit",
            "mode": "normal",
            "total_time": duration(total_seconds),
            "learner_preference": {"language": learner.language},
        }
        if passing is not None:
            cmi["scaled_passing_score"] = _plain_decimal(passing)
        if threshold is not None:
            cmi["completion_threshold"] = _plain_decimal(threshold)
        if stored.get("progress_measure"):
            cmi["progress_measure"] = stored["progress_measure"]
        if score:
            cmi["score"] = score
        cmi["objectives"] = list(stored.get("objectives") or [])
        cmi["interactions"] = list(stored.get("interactions") or [])
        return {"cmi": cmi}
    student_data = {}
    if passing is not None:
        student_data["mastery_score"] = _plain_decimal(passing * 100)
    core: dict[str, Any] = {
        "student_id": learner.id,
        "student_name": learner_name_12(learner.name),
        "lesson_location": location,
        "credit": "credit",
        "lesson_status": _lesson_status(completion, success, stored),
        "entry": entry,
        "total_time": timespan(total_seconds),
        "lesson_mode": "normal",
    }
    if core["lesson_status"] == "not attempted":
        # Left to scorm-again, which then knows the SCO has not set one: at LMSFinish
        # it makes "incomplete" of it, as SCORM 1.2 asks (RTE 3.4.4).
        del core["lesson_status"]
    if score:
        core["score"] = score
    # Interactions are write-only in SCORM 1.2: the SCO cannot read them back.
    return {
        "cmi": {
            "core": core,
            "suspend_data": suspend_data,
            "launch_data": item.get("launch_data") or "",
            "student_data": student_data,
            "student_preference": {"language": learner.language},
            "objectives": list(stored.get("objectives") or []),
        }
    }
