"""The catalogue's search and topic filter on the learner's start page.

The start page already loads the live courses the learner's company may see (one
query, scoped to the company); the search narrows that list here, in Python. That
keeps matching the same on SQLite and PostgreSQL (SQLite's LIKE and lower() know
no umlauts: "prüf" must find "Prüfung") and adds no query to the page.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from lms.models import Course, CourseVersion
from lms.services.learning import CourseTexts

MAX_QUERY = 100  # characters of a search text or topic taken from the address


def folded(text: str) -> str:
    """`text` for comparing: Unicode composed the same way, case folded ("ß" = "ss")."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class CatalogueQuery:
    """What the learner searches for: words and a topic, both from the address."""

    text: str = ""
    topic: str = ""

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> CatalogueQuery:
        def value(key: str) -> str:
            return " ".join(args.get(key, "")[:MAX_QUERY].split())

        return cls(value("q"), value("topic"))

    @property
    def active(self) -> bool:
        return bool(self.text or self.topic)


@dataclass(frozen=True)
class TopicCount:
    name: str
    count: int  # courses with this topic among those matching the search text (maybe 0)
    selected: bool  # the topic the learner filters by


@dataclass(frozen=True)
class CatalogueResult:
    courses: list[tuple[Course, CourseVersion]]  # matching, in the catalogue's order
    topics: list[TopicCount]  # every topic of the catalogue, by name
    total: int  # courses in the catalogue before filtering


def _all_texts(version: CourseVersion) -> list[Mapping[str, Any]]:
    """The version's course texts in every language it has (read through the cache)."""
    texts: Mapping[str, Mapping[str, Any]] = version.content["texts"]
    return list(texts.values())


def _words(version: CourseVersion) -> str:
    """Title, summary and topics in every language of the version, folded."""
    parts: list[str] = []
    for texts in _all_texts(version):
        parts.append(str(texts.get("title") or ""))
        parts.append(str(texts.get("summary") or ""))
        parts.extend(str(tag) for tag in texts.get("tags") or ())
    return folded("\n".join(parts))


def _holds(version: CourseVersion, words: list[str]) -> bool:
    if not words:
        return True
    haystack = _words(version)
    return all(word in haystack for word in words)


def _has_topic(version: CourseVersion, topic: str) -> bool:
    wanted = folded(topic)
    return any(
        folded(str(tag)) == wanted
        for texts in _all_texts(version)
        for tag in texts.get("tags") or ()
    )


def search(
    catalogue: Sequence[tuple[Course, CourseVersion]],
    texts: Mapping[int, CourseTexts],
    query: CatalogueQuery,
) -> CatalogueResult:
    """The courses of `catalogue` whose texts hold every word of the search text and that
    have the topic; with every topic of the catalogue (in the page's language, `texts`)
    and how many of the courses matching the words have it."""
    words = folded(query.text).split()
    by_words = [(course, version) for course, version in catalogue if _holds(version, words)]
    names: dict[str, str] = {}
    for _course, version in catalogue:
        for tag in texts[version.id].tags:
            names.setdefault(folded(tag), tag)
    counts = Counter(folded(tag) for _c, v in by_words for tag in texts[v.id].tags)
    chosen = folded(query.topic)
    topics = sorted(
        (TopicCount(name, counts[key], key == chosen) for key, name in names.items()),
        key=lambda t: folded(t.name),
    )
    found = [(c, v) for c, v in by_words if _has_topic(v, query.topic)] if query.topic else by_words
    return CatalogueResult(found, topics, len(catalogue))
