"""Reading a package ZIP: safe to unpack, then its manifest described as a `PackageSpec`.

`read_package(data, file)` returns the spec and the package's files, or raises
`PackageError` with every problem found, each naming the file inside the package
and its line (`imsmanifest.xml:14`), worded in German and English through
`lms.content.problems` like any course problem.

The ZIP is checked as a course ZIP is (`lms.content.archive`): no path outside the
package, no links, no encrypted entries, no path twice, sizes taken from the ZIP's
directory before anything is unpacked and counted again while unpacking, no ZIP
bombs; with a package's own limits (`MAX_FILES`, `MAX_UNPACKED`). OS junk
(`__MACOSX/`, `.DS_Store`, …) is dropped, and one folder that holds everything (as
publishers often zip) is stripped. The first of these problems refuses the ZIP.

Then the manifest: `imsmanifest.xml` makes it a SCORM package (1.2 or 2004, by
`<schemaversion>` or the namespaces), `cmi5.xml` a cmi5 course (a package with both,
made to play in older platforms too, is read as cmi5). Item hrefs are kept as paths
inside the package, decoded (`test%20seite.html` → `test seite.html`), their query
apart in `parameters` (without `?`). XML is read with
lxml without entities, DTDs or network; a file declaring entities is refused.
Every problem of the manifest is collected, not only the first.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from lms.content.archive import (
    ArchiveError,
    check_sizes,
    safe_path,
    strip_top_folder,
    unpack,
    zip_entries,
)
from lms.content.problems import Problem
from lms.content.spec import MoveOn, PackageItem, PackageSpec, PackageStandard

MAX_FILES = 3000
"""A package with more files than this (OS junk and folders not counted) is refused."""
MAX_UNPACKED = 500 * 1024 * 1024
"""A package larger than this, unpacked (or as a ZIP), is refused."""
MAX_MB = MAX_UNPACKED // (1024 * 1024)

SCORM_MANIFEST = "imsmanifest.xml"
CMI5_MANIFEST = "cmi5.xml"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
LAUNCH_METHODS = ("AnyWindow", "OwnWindow")
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_SCHEMA_VERSIONS = {
    "1.2": PackageStandard.SCORM12,
    "cam 1.3": PackageStandard.SCORM2004,
    "2004 2nd edition": PackageStandard.SCORM2004,
    "2004 3rd edition": PackageStandard.SCORM2004,
    "2004 4th edition": PackageStandard.SCORM2004,
}


class PackageError(ValueError):
    """A package refused; `problems` say why (each with its file and line)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(", ".join(p.code for p in problems))
        self.problems = tuple(problems)


def read_package(data: bytes, file: str) -> tuple[PackageSpec, dict[str, bytes]]:
    """The package in the ZIP `data` (`file`: its path in the course folder, for the spec
    and for problems about the ZIP as a whole) and its files by path; `PackageError`."""
    files = _unpack_package(data, file)
    if CMI5_MANIFEST in files:
        reader: _Reader = _Cmi5Reader(CMI5_MANIFEST, files)
    elif SCORM_MANIFEST in files:
        reader = _ScormReader(SCORM_MANIFEST, files)
    else:
        raise PackageError([Problem(file, 0, "package-no-manifest")])
    described = reader.read()
    if reader.problems:
        raise PackageError(sorted(reader.problems, key=lambda problem: problem.line))
    assert described is not None
    standard, identifier, version, title, items = described
    spec = PackageSpec(
        standard=standard,
        file=file,
        sha256=hashlib.sha256(data).hexdigest(),
        identifier=identifier,
        version=version,
        title=title,
        items=tuple(items),
        files=len(files),
        size=sum(len(content) for content in files.values()),
    )
    return spec, files


def unsafe(path: str) -> bool:
    """Whether a path (of a package in a course, of a file in a package) is not a plain
    relative path that stays inside its folder."""
    return safe_path(path) != path


# --- The ZIP -----------------------------------------------------------------------------


def _unpack_package(data: bytes, file: str) -> dict[str, bytes]:
    """Every file of the package (one wrapping folder stripped); `PackageError` on the
    first thing that makes the ZIP unsafe."""
    try:
        if len(data) > MAX_UNPACKED:
            raise ArchiveError("too-large", limit=MAX_UNPACKED // (1024 * 1024))
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except Exception:  # zipfile raises many kinds for a damaged file
            raise ArchiveError("not-a-zip") from None
        with archive:
            entries = zip_entries(archive.infolist(), MAX_FILES)
            check_sizes(entries, MAX_UNPACKED)
            entries, _top = strip_top_folder(entries, (SCORM_MANIFEST, CMI5_MANIFEST))
            files: dict[str, bytes] = {}
            budget = MAX_UNPACKED
            for path, info in sorted(entries.items()):
                content = unpack(archive, info, budget, MAX_UNPACKED)
                budget -= len(content)
                files[path] = content
    except ArchiveError as refused:
        raise PackageError([Problem(file, 0, f"package-{refused.code}", refused.params)]) from None
    return files


# --- XML ---------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _local(node: Any) -> str:
    tag = node.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(node: Any, name: str) -> list[Any]:
    """The child elements called `name` (any namespace, case ignored: manifests mix
    them freely, and SCORM 1.2 writes datafromlms where 2004 writes dataFromLMS)."""
    wanted = name.lower()
    return [child for child in node if _local(child).lower() == wanted]


def _child(node: Any, name: str) -> Any | None:
    found = _children(node, name)
    return found[0] if found else None


def _descendants(node: Any, name: str) -> Iterator[Any]:
    """The elements called `name` below `node`, in document order."""
    wanted = name.lower()
    return (element for element in node.iter() if _local(element).lower() == wanted)


def _text(node: Any | None) -> str:
    return "".join(node.itertext()).strip() if node is not None else ""


def _attribute(node: Any, name: str) -> str | None:
    """The attribute `name` (case ignored, any namespace), as SCORM tools spell it."""
    wanted = name.lower()
    for key, value in node.attrib.items():
        if etree.QName(key).localname.lower() == wanted:
            return str(value).strip()
    return None


def _decimal(value: str, low: Decimal, high: Decimal) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and low <= number <= high else None


@dataclass
class _Reader(ABC):
    """Reads one manifest; problems are collected in `problems`. `_ScormReader` and
    `_Cmi5Reader` say how their manifest describes the package (`read`)."""

    path: str
    files: dict[str, bytes]
    problems: list[Problem] = field(default_factory=list)
    _lines: list[str] = field(default_factory=list)

    def problem(self, line: int, code: str, **params: Any) -> None:
        self.problems.append(Problem(self.path, line, code, params))

    def line(self, element: Any) -> int:
        """The line where `element`'s start tag begins (libxml2 gives the line where it
        ends, which for a tag over several lines is not where a reader looks)."""
        end = element.sourceline or 1
        prefix = element.prefix
        token = "<" + (f"{prefix}:" if prefix else "") + _local(element)
        for number in range(min(end, len(self._lines)), max(end - 50, 0), -1):
            if token in self._lines[number - 1]:
                return number
        return end

    def root(self) -> Any | None:
        data = self.files[self.path]
        self._lines = data.decode("utf-8", "replace").splitlines()
        entity = _ENTITY.search(data)
        if entity is not None:
            self.problem(data[: entity.start()].count(b"\n") + 1, "package-xml-entities")
            return None
        try:
            return etree.fromstring(data, _parser())
        except etree.XMLSyntaxError as error:
            self.problem(error.lineno or 1, "package-xml", detail=error.msg)
            return None

    @abstractmethod
    def read(self) -> tuple[PackageStandard, str, str, str, list[PackageItem]] | None:
        """The standard, identifier, version, title and items, or None (problems kept)."""

    def launch_path(self, href: str, item_id: str, line: int, base: str = "") -> str | None:
        """The launch file's path in the package for `href` (below `base`); checks it is
        inside the package and there, else reports it and gives None."""
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            self.problem(line, "package-remote-launch", id=item_id, url=href)
            return None
        path = unquote(base + parts.path)
        normal = safe_path(path)
        if normal is None or path.startswith(("/", "\\")):
            self.problem(line, "package-unsafe-href", id=item_id, href=href)
            return None
        if normal not in self.files:
            self.problem(line, "package-launch-missing", id=item_id, path=normal)
            return None
        return normal

    def check_unique(self, item_id: str, line: int, seen: dict[str, int]) -> None:
        if item_id in seen:
            self.problem(line, "package-duplicate-id", id=item_id, other=seen[item_id])
        else:
            seen[item_id] = line


def _folder(base: str | None) -> str:
    """An xml:base as a folder to put an href in ("content" and "content/" alike)."""
    base = (base or "").strip()
    return base if not base or base.endswith("/") else base + "/"


def _query(*parts: str) -> str:
    """Launch parameters joined as one query (without the leading ?)."""
    return "&".join(part.lstrip("?&") for part in parts if part.lstrip("?&"))


# --- SCORM -------------------------------------------------------------------------------


class _ScormReader(_Reader):
    def read(self) -> tuple[PackageStandard, str, str, str, list[PackageItem]] | None:
        manifest = self.root()
        if manifest is None:
            return None
        standard = self._standard(manifest)
        organizations = _child(manifest, "organizations")
        candidates = _children(organizations, "organization") if organizations is not None else []
        if not candidates:
            self.problem(self.line(manifest), "package-no-organization")
            return None
        default = _attribute(organizations, "default") if organizations is not None else None
        organization = next(
            (o for o in candidates if default and _attribute(o, "identifier") == default),
            candidates[0],
        )
        resources_node = _child(manifest, "resources")
        resources_base = _folder(resources_node.get(XML_BASE) if resources_node is not None else "")
        resources = {
            _attribute(resource, "identifier") or "": resource
            for resource in (
                _children(resources_node, "resource") if resources_node is not None else []
            )
        }
        items: list[PackageItem] = []
        seen: dict[str, int] = {}
        for node in _descendants(organization, "item"):
            item = self._item(node, resources, resources_base, standard, seen)
            if item is not None:
                items.append(item)
        if not items and not self.problems:
            self.problem(self.line(organization), "package-no-sco")
        if standard is None:
            return None
        identifier = _attribute(manifest, "identifier") or ""
        if not identifier:
            self.problem(
                self.line(manifest), "package-missing-value", element="<manifest>",
                name="identifier",
            )  # fmt: skip
        title = _text(_child(organization, "title")) or (items[0].title if items else "")
        return standard, identifier, _attribute(manifest, "version") or "", title, items

    def _standard(self, manifest: Any) -> PackageStandard | None:
        """1.2 or 2004 by <schemaversion>, else by the ADL namespaces the manifest uses."""
        metadata = _child(manifest, "metadata")
        version_node = _child(metadata, "schemaversion") if metadata is not None else None
        written = _text(version_node)
        known = _SCHEMA_VERSIONS.get(" ".join(written.lower().split()))
        if known is not None:
            return known
        namespaces = " ".join(
            str(uri) for element in manifest.iter() for uri in element.nsmap.values()
        )
        if "adlcp_v1p3" in namespaces or "imsss" in namespaces:
            return PackageStandard.SCORM2004
        if "adlcp_rootv1p2" in namespaces or "imscp_rootv1p1p2" in namespaces:
            return PackageStandard.SCORM12
        line = self.line(version_node) if version_node is not None else self.line(manifest)
        self.problem(line or 1, "package-scorm-version", value=written or "–")
        return None

    def _item(
        self,
        node: Any,
        resources: dict[str, Any],
        resources_base: str,
        standard: PackageStandard | None,
        seen: dict[str, int],
    ) -> PackageItem | None:
        line = self.line(node)
        item_id = _attribute(node, "identifier") or ""
        self.check_unique(item_id, line, seen)
        reference = _attribute(node, "identifierref")
        if not reference:
            return None  # a heading of nested items
        resource = resources.get(reference)
        if resource is None:
            self.problem(line, "package-missing-resource", id=item_id, ref=reference)
            return None
        if (_attribute(resource, "scormtype") or "").lower() != "sco":
            return None  # an asset: shown by a SCO, never launched on its own
        href = _attribute(resource, "href") or ""
        if not href:
            self.problem(
                self.line(resource), "package-missing-value",
                element=f"<resource identifier=\"{reference}\">", name="href",
            )  # fmt: skip
            return None
        base = resources_base + _folder(resource.get(XML_BASE))
        path = self.launch_path(href, item_id, self.line(resource), base)
        passing = self._passing_score(node, standard)
        threshold = self._completion_threshold(node)
        if path is None:
            return None
        return PackageItem(
            id=item_id,
            title=_text(_child(node, "title")) or item_id,
            href=path,
            parameters=_query(urlsplit(href).query, _attribute(node, "parameters") or ""),
            passing_score=passing,
            completion_threshold=threshold,
            launch_data=_text(_child(node, "dataFromLMS")),
            move_on=MoveOn.PASSED if passing is not None else MoveOn.COMPLETED_OR_PASSED,
            line=line,
        )

    def _passing_score(self, node: Any, standard: PackageStandard | None) -> Decimal | None:
        if standard is PackageStandard.SCORM12:
            mastery = _child(node, "masteryscore")
            if mastery is None or not _text(mastery):
                return None
            score = _decimal(_text(mastery), Decimal(0), Decimal(100))
            if score is None:
                self.problem(self.line(mastery), "package-mastery-score-12", value=_text(mastery))
                return None
            return score / 100
        sequencing = _child(node, "sequencing")
        objectives = _child(sequencing, "objectives") if sequencing is not None else None
        primary = _child(objectives, "primaryObjective") if objectives is not None else None
        if primary is None or (_attribute(primary, "satisfiedByMeasure") or "") != "true":
            return None
        measure = _child(primary, "minNormalizedMeasure")
        if measure is None or not _text(measure):
            return Decimal("1.0")
        value = _decimal(_text(measure), Decimal(-1), Decimal(1))
        if value is None:
            self.problem(self.line(measure), "package-min-measure", value=_text(measure))
        return value

    def _completion_threshold(self, node: Any) -> Decimal | None:
        threshold = _child(node, "completionThreshold")
        if threshold is None:
            return None
        written = _text(threshold)  # SCORM 2004 3rd edition: the value as text
        if not written:  # 4th edition: attributes
            if (_attribute(threshold, "completedByMeasure") or "") != "true":
                return None
            written = _attribute(threshold, "minProgressMeasure") or "1.0"
        value = _decimal(written, Decimal(0), Decimal(1))
        if value is None:
            self.problem(self.line(threshold), "package-completion-threshold", value=written)
        return value


# --- cmi5 --------------------------------------------------------------------------------


class _Cmi5Reader(_Reader):
    def read(self) -> tuple[PackageStandard, str, str, str, list[PackageItem]] | None:
        structure = self.root()
        if structure is None:
            return None
        course = _child(structure, "course")
        identifier = _attribute(course, "id") if course is not None else None
        if not identifier:
            where = course if course is not None else structure
            self.problem(self.line(where), "package-missing-value", element="<course>", name="id")
        title = _langstring(course) if course is not None else ""
        items: list[PackageItem] = []
        seen: dict[str, int] = {}
        for au in _descendants(structure, "au"):
            item = self._au(au, seen)
            if item is not None:
                items.append(item)
        if not any(True for _au in _descendants(structure, "au")):
            self.problem(self.line(structure), "package-no-au")
        return PackageStandard.CMI5, identifier or "", "", title, items

    def _au(self, au: Any, seen: dict[str, int]) -> PackageItem | None:
        line = self.line(au)
        item_id = _attribute(au, "id") or ""
        if not item_id:
            self.problem(line, "package-missing-value", element="<au>", name="id")
        else:
            self.check_unique(item_id, line, seen)
        move_on = _attribute(au, "moveOn") or MoveOn.NOT_APPLICABLE.value
        if move_on not in {m.value for m in MoveOn}:
            self.problem(
                line, "package-move-on", value=move_on, allowed=", ".join(m.value for m in MoveOn)
            )
        mastery = _attribute(au, "masteryScore")
        passing = None
        if mastery:
            passing = _decimal(mastery, Decimal(0), Decimal(1))
            if passing is None:
                self.problem(line, "package-mastery-score", value=mastery)
        method = _attribute(au, "launchMethod") or "AnyWindow"
        if method not in LAUNCH_METHODS:
            self.problem(line, "package-launch-method", value=method)
        url_node = _child(au, "url")
        url = _text(url_node)
        if url_node is None or not url:
            self.problem(line, "package-missing-value", element="<au>", name="<url>")
            return None
        path = self.launch_path(url, item_id, self.line(url_node))
        if path is None or not item_id or move_on not in {m.value for m in MoveOn}:
            return None
        return PackageItem(
            id=item_id,
            title=_langstring(au) or item_id,
            href=path,
            parameters=urlsplit(url).query,
            passing_score=passing,
            launch_data=_text(_child(au, "launchParameters")),
            move_on=MoveOn(move_on),
            launch_method=method if method in LAUNCH_METHODS else "AnyWindow",
            line=line,
        )


def _langstring(node: Any) -> str:
    """The first text of a cmi5 <title> (<langstring lang="…">)."""
    title = _child(node, "title")
    if title is None:
        return ""
    strings = _children(title, "langstring")
    return _text(strings[0]) if strings else _text(title)
