"""A course folder as one ZIP file: read safely, written the same way every time.

Reading
-------
`read_course_zip(data)` accepts a ZIP of a course folder in the layout of
`courses/<slug>/` (`course.md`, `NN-unit.md` files, `assets/…`), either at the
top of the ZIP or inside one single folder, as zipping a folder on Windows or
macOS makes it ("it-sicherheit/course.md"). That folder is stripped and its name
kept as `CourseFiles.slug`, a suggestion the caller still checks. OS junk is
ignored: `__MACOSX/`, `.DS_Store`, `Thumbs.db`, `desktop.ini`, `._*` (macOS
resource forks) and folder entries.

Everything is checked before a byte is unpacked, and the whole archive is
refused (`ArchiveError`) on the first problem; nothing is ever written:

- not a ZIP file, or damaged (also: a file whose unpacked bytes do not match
  its header, or packed with a method Python cannot unpack);
- an entry protected by a password;
- a path that could leave the course folder: a `..` part, a leading `/` or `\\`,
  a drive letter (`C:`), control characters. Backslashes count as separators
  (old Windows tools write `assets\\bild.png`), then the same rules apply;
- a symbolic link (the Unix file type in the high 16 bits of `external_attr`);
- the same path twice once normalised (`\\` → `/`, `./` dropped, Unicode NFC,
  upper/lower case ignored so that a case-insensitive disk cannot merge two
  files), or a path that is both a file and a folder;
- more than `MAX_FILES` files, more than `MAX_UNPACKED` bytes in total
  (package ZIPs under `packages/` have their own `MAX_PACKAGES`),
  packed more than `MAX_COMPRESSION_RATIO` times (a ZIP bomb);
- no `course.md`;
- a file type the course format does not allow: Markdown (`.md`) outside
  `assets/`, the types of `markdown_checks.ASSET_TYPES` inside it, ZIP files
  (packages) in `packages/`;
- a Markdown file that is not UTF-8.

Sizes are taken from the ZIP's directory first (cheap, before unpacking) and
counted again while unpacking, since a header can lie.

What is refused here is about the archive being safe to unpack; whether the
files make a valid course is for `parse_course` (`lms courses check`), which
reports with file and line.

Writing
-------
`write_course_zip(files)` makes the same bytes for the same files: paths in
sorted order, the timestamp 1980-01-01 00:00, permissions 0644, Unix as the
creating system, DEFLATE at level 9, no folder entries. (Identical given the
same zlib; another zlib build may compress differently.)

`files_from_folder` and `write_folder` connect both with a folder on disk, so
that for a course folder F without OS junk,
`content_hash(write_folder(read_course_zip(write_course_zip(files_from_folder(F))), G))`
equals `content_hash(F)`.
"""

from __future__ import annotations

import io
import re
import stat
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from lms.content.markdown_checks import ASSET_TYPES

MAX_FILES = 500
"""More files than this (OS junk and folder entries not counted) are refused."""
MAX_UNPACKED = 50 * 1024 * 1024
"""More bytes than this, unpacked, in all files together are refused."""
MAX_COMPRESSION_RATIO = 100
"""A file, or all files together, packed more than this many times smaller than
its unpacked size is refused as a ZIP bomb, once the unpacked size is over
`RATIO_MIN_BYTES`. Course content packs far less: Markdown and SVG about 3–10
times, images, audio, video and PDF hardly at all; a megabyte of zeros packs
about 1,000 times."""
RATIO_MIN_BYTES = 1024 * 1024
MAX_PACKAGES = 500 * 1024 * 1024
"""The package ZIPs (`packages/<name>.zip`, for package units) may hold this many bytes
together, on top of `MAX_UNPACKED` for the course's own files: a bought package is
often far larger than a course's Markdown and pictures. Each package is checked
again, with its own limits, when the course is checked (`lms.packages.reading`)."""
"""Below this unpacked size the compression ratio is not checked: small files
of repeated characters pack well and do no harm."""

_CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_JUNK_FOLDERS = frozenset({"__MACOSX"})
_JUNK_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
_ENCRYPTED = 0x1 | 0x40  # general purpose flags: encrypted, strong encryption
_FILE_MODE = 0o100644  # a regular file, rw-r--r--
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP can store


# code -> message; `name` is the file's path in the ZIP.
MESSAGES: dict[str, LazyString] = {
    "not-a-zip": _l("The file is not a ZIP file, or it is damaged. Create the ZIP file again."),
    "entry-unreadable": _l(
        "%(name)s in the ZIP file is damaged or packed in a way that cannot be read. "
        "Create the ZIP file again."
    ),
    "encrypted": _l(
        "%(name)s in the ZIP file is protected by a password. "
        "Create the ZIP file without a password."
    ),
    "unsafe-path": _l(
        "The path %(name)s leads outside the course folder (.. or an absolute path). "
        "The ZIP file is refused."
    ),
    "symlink": _l("%(name)s is a link, not a file. Put the file itself into the ZIP file."),
    "duplicate-path": _l("%(name)s appears more than once in the ZIP file."),
    "too-many-files": _l("The ZIP file contains more than %(limit)s files."),
    "too-large": _l("The ZIP file unpacks to more than %(limit)s MB."),
    "compression-ratio": _l(
        "%(name)s is packed more than %(ratio)s times smaller than its size, like a ZIP bomb. "
        "The ZIP file is refused."
    ),
    "compression-ratio-total": _l(
        "The files are packed more than %(ratio)s times smaller than their size, "
        "like a ZIP bomb. The ZIP file is refused."
    ),
    "course-md-missing": _l(
        "The ZIP file has no course.md. Put course.md at the top of the ZIP file "
        "or into one single folder in it."
    ),
    "file-type": _l(
        "%(name)s cannot be part of a course. Allowed are Markdown files (.md), in the "
        "folder assets/ %(allowed)s, and in the folder packages/ ZIP files (SCORM, cmi5)."
    ),
    "md-not-utf8": _l("%(name)s is not saved as UTF-8. Save it again with the encoding UTF-8."),
}


class ArchiveError(ValueError):
    """A course archive (or files to write) refused; `code` and `params` say why."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self) -> str:
        """The reason as a sentence in the current language."""
        template = str(MESSAGES[self.code])
        return template % self.params if self.params else template


class CourseFiles(dict[str, bytes]):
    """A course's files: relative POSIX path ("assets/bild.png") → bytes.

    `slug` is the name of the folder the files came in (the single top-level
    folder of a ZIP, or the folder read from disk), or None: a suggestion,
    not checked.
    """

    def __init__(
        self, files: Mapping[str, bytes] | Iterable[tuple[str, bytes]] = (), slug: str | None = None
    ) -> None:
        super().__init__(files)
        self.slug = slug


# --- Reading a ZIP -----------------------------------------------------------------------


def read_course_zip(data: bytes) -> CourseFiles:
    """The course files in a ZIP; `ArchiveError` if the ZIP is refused (see the module)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # zipfile raises many kinds for a damaged file
        raise ArchiveError("not-a-zip") from None
    with archive:
        entries = zip_entries(archive.infolist())
        entries, slug = strip_top_folder(entries, ("course.md",))
        packages = {path: info for path, info in entries.items() if _is_package(path)}
        check_sizes({path: info for path, info in entries.items() if path not in packages})
        check_sizes(packages, MAX_PACKAGES)
        if "course.md" not in entries:
            raise ArchiveError("course-md-missing")
        for path, info in entries.items():
            _check_type(path, info.filename)
        files = CourseFiles(slug=slug)
        budgets = {False: MAX_UNPACKED, True: MAX_PACKAGES}
        for path, info in sorted(entries.items()):
            is_package = path in packages
            content = unpack(
                archive, info, budgets[is_package], MAX_PACKAGES if is_package else None
            )
            budgets[is_package] -= len(content)
            if path.lower().endswith(".md"):
                try:
                    content.decode("utf-8")
                except UnicodeDecodeError:
                    raise ArchiveError("md-not-utf8", name=info.filename) from None
            files[path] = content
    return files


def zip_entries(
    infos: list[zipfile.ZipInfo], max_files: int | None = None
) -> dict[str, zipfile.ZipInfo]:
    """The files to unpack by normalised path; refuses unsafe, linked and encrypted entries,
    and more than `max_files` (a course's `MAX_FILES` unless given)."""
    max_files = max_files or MAX_FILES
    entries: list[tuple[str, zipfile.ZipInfo]] = []
    for info in infos:
        raw = info.filename
        if info.flag_bits & _ENCRYPTED:
            raise ArchiveError("encrypted", name=raw)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError("symlink", name=raw)
        path = safe_path(raw)
        if path is None:
            raise ArchiveError("unsafe-path", name=raw)
        if _is_folder(info) or _is_junk(path):
            continue
        entries.append((path, info))
        if len(entries) > max_files:
            raise ArchiveError("too-many-files", limit=max_files)
    _check_unique([path for path, _info in entries])
    return dict(entries)


def _is_folder(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    dos_folder = info.external_attr & 0x10
    return info.filename.replace("\\", "/").endswith("/") or stat.S_ISDIR(mode) or bool(dos_folder)


def check_sizes(entries: dict[str, zipfile.ZipInfo], max_unpacked: int | None = None) -> None:
    """Refuses by the sizes the ZIP declares: in total (more than `max_unpacked`, a
    course's `MAX_UNPACKED` unless given), and the ratio of each file and all."""
    max_unpacked = max_unpacked or MAX_UNPACKED
    total = sum(info.file_size for info in entries.values())
    if total > max_unpacked:
        raise ArchiveError("too-large", limit=max_unpacked // (1024 * 1024))
    for info in entries.values():
        if _looks_like_bomb(info.file_size, info.compress_size):
            raise ArchiveError("compression-ratio", name=info.filename, ratio=MAX_COMPRESSION_RATIO)
    if _looks_like_bomb(total, sum(info.compress_size for info in entries.values())):
        raise ArchiveError("compression-ratio-total", ratio=MAX_COMPRESSION_RATIO)


def _looks_like_bomb(size: int, packed: int) -> bool:
    return size > RATIO_MIN_BYTES and size > MAX_COMPRESSION_RATIO * packed


def strip_top_folder(
    entries: dict[str, zipfile.ZipInfo], markers: tuple[str, ...]
) -> tuple[dict[str, zipfile.ZipInfo], str | None]:
    """Without the one folder that holds everything, if there is one and none of the
    `markers` (course.md; a package's manifest) is on top; and the folder's name."""
    if any(marker in entries for marker in markers) or not entries:
        return entries, None
    tops = {path.split("/", 1)[0] for path in entries}
    if len(tops) != 1 or any("/" not in path for path in entries):
        return entries, None
    top = tops.pop()
    return {path.split("/", 1)[1]: info for path, info in entries.items()}, top


def _is_package(path: str) -> bool:
    """A package ZIP (SCORM, cmi5) for a package unit: packages/<name>.zip."""
    parts = path.split("/")
    return len(parts) == 2 and parts[0] == "packages" and parts[1].lower().endswith(".zip")


def _check_type(path: str, name: str) -> None:
    """Refuses a file the course format has no use for; `name` is its name in the ZIP."""
    suffix = PurePosixPath(path).suffix.lower()
    allowed = suffix in ASSET_TYPES if path.startswith("assets/") else suffix == ".md"
    allowed = allowed or _is_package(path)
    if not allowed:
        raise ArchiveError(
            "file-type",
            name=name,
            allowed=", ".join(sorted(ext.lstrip(".") for ext in ASSET_TYPES)),
        )


def unpack(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, limit: int | None = None
) -> bytes:
    """The file's bytes, counted while unpacking: never more than declared or than `budget`
    (what is left of the total `limit`, a course's `MAX_UNPACKED` unless given)."""
    limit = limit or MAX_UNPACKED
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > budget:
                    raise ArchiveError("too-large", limit=limit // (1024 * 1024))
                if size > info.file_size:
                    raise ArchiveError("entry-unreadable", name=info.filename)
                chunks.append(chunk)
    except ArchiveError:
        raise
    except Exception:  # a wrong checksum, a broken stream, an unknown method: all the same
        raise ArchiveError("entry-unreadable", name=info.filename) from None
    if size != info.file_size:
        raise ArchiveError("entry-unreadable", name=info.filename)
    return b"".join(chunks)


# --- Paths -------------------------------------------------------------------------------


def safe_path(name: str) -> str | None:
    """`name` as a normalised relative POSIX path inside the course folder, or None if it
    could leave it (`..`, absolute, a drive letter, control characters)."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/"))
    if name.startswith("/") or _DRIVE.match(name):
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        return None
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _check_unique(paths: list[str]) -> None:
    """Refuses a path that appears twice (upper/lower case ignored) or is also a folder."""
    files: set[str] = set()
    folders: set[str] = set()
    for path in paths:
        key = path.casefold()
        if key in files:
            raise ArchiveError("duplicate-path", name=path)
        files.add(key)
        parts = key.split("/")
        folders.update("/".join(parts[:end]) for end in range(1, len(parts)))
    clashes = files & folders
    if clashes:
        raise ArchiveError("duplicate-path", name=min(p for p in paths if p.casefold() in clashes))


def _is_junk(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    return (
        any(part in _JUNK_FOLDERS for part in parts)
        or name.lower() in _JUNK_FILES
        or name.startswith("._")
    )


# --- Writing -----------------------------------------------------------------------------


def write_course_zip(files: CourseFiles) -> bytes:
    """A ZIP of `files`, the same bytes for the same files (see the module)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the permissions below mean what they say
            info.external_attr = _FILE_MODE << 16
            archive.writestr(info, files[path], compresslevel=9)
    return buffer.getvalue()


def files_from_folder(folder: Path) -> CourseFiles:
    """Every regular file under `folder` (no symbolic links, no OS junk), `slug` its name."""
    folder = Path(folder)
    files = CourseFiles(slug=folder.name)
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        relative = path.relative_to(folder).as_posix()
        if not _is_junk(relative):
            files[relative] = path.read_bytes()
    return files


def write_folder(files: CourseFiles, folder: Path) -> Path:
    """Write `files` into `folder` (made if missing, else it must be empty); returns it.

    Every path is checked again before anything is written: a path that is not
    already normalised and safe, or that appears twice, raises `ArchiveError`.
    """
    folder = Path(folder)
    for path in files:
        if safe_path(path) != path:
            raise ArchiveError("unsafe-path", name=path)
    _check_unique(list(files))
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty")
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    for path in sorted(files):
        target = root / path
        if not target.resolve().is_relative_to(root):  # defensive: safe_path already refused
            raise ArchiveError("unsafe-path", name=path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as handle:  # never replaces a file or follows a link
            handle.write(files[path])
    return folder
