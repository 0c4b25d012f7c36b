"""Checks on the Markdown text of course files: links, assets, alt texts, raw HTML."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from lms.content.fences import Fences
from lms.content.frontmatter import Source

ASSET_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".m4a": "audio/mp4",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".pdf": "application/pdf",
}
MAX_ASSET_BYTES = 20 * 1024 * 1024
ALLOWED_SCHEMES = {"http", "https", "mailto"}

LINK = re.compile(
    r"(?P<bang>!?)\[(?P<text>[^\]]*)\]\(\s*(?P<target><[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\s*\)"
)
SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):")
RAW_TAG = re.compile(r"<\s*(?P<tag>[A-Za-z][A-Za-z0-9]*)(?=[\s/>])[^>]*>")
INLINE_CODE = re.compile(r"`+[^`]*`+")


def collect_assets(folder: Path, source: Source) -> set[str]:
    """The usable files under `assets/`, as relative paths; reports wrong types and sizes."""
    found: set[str] = set()
    assets_dir = folder / "assets"
    if not assets_dir.is_dir():
        return found
    for path in sorted(assets_dir.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        # Problems with an asset are reported at the asset's own path.
        asset_source = Source(f"{source.path}/{relative}", source.problems)
        if path.is_symlink():
            asset_source.error(0, "asset-outside", target=relative)
            continue
        if not path.is_file():
            continue
        if path.suffix.lower() not in ASSET_TYPES:
            asset_source.error(
                0,
                "asset-type",
                ext=path.suffix or path.name,
                allowed=", ".join(sorted(e.lstrip(".") for e in ASSET_TYPES)),
            )
            continue
        if path.stat().st_size > MAX_ASSET_BYTES:
            asset_source.error(0, "asset-too-large", target=relative, limit="20 MiB")
            continue
        found.add(relative)
    return found


def normalize_target(target: str) -> str | None:
    """The asset path a relative link names, or None if it leaves the course folder."""
    target = target.strip("<>").split("#", 1)[0].split("?", 1)[0]
    if target.startswith(("/", "\\")) or "\\" in target:
        return None
    parts: list[str] = []
    for part in PurePosixPath(target).parts:
        if part in ("", "."):
            continue
        if part == "..":
            return None
        parts.append(part)
    return "/".join(parts)


def check(text: str, first_line: int, source: Source, assets: set[str]) -> None:
    """Check links, images and raw HTML in `text`, which starts at `first_line` of the file."""
    fences = Fences()
    for offset, line in enumerate(text.split("\n")):
        number = first_line + offset
        if fences.step(line) or ("[" not in line and "<" not in line):
            continue  # code, or nothing a link or a tag could start with
        visible = INLINE_CODE.sub("", line) if "`" in line else line
        for match in LINK.finditer(visible):
            _check_link(match, number, source, assets)
        for match in RAW_TAG.finditer(visible):
            source.warn(number, "raw-html", tag=f"<{match.group('tag').lower()}>")


def _check_link(match: re.Match[str], line: int, source: Source, assets: set[str]) -> None:
    target = match.group("target").strip("<>")
    is_image = bool(match.group("bang"))
    scheme = SCHEME.match(target)
    if scheme:
        if scheme.group("scheme").lower() not in ALLOWED_SCHEMES:
            source.error(line, "bad-link-scheme", target=target)
        elif is_image:
            source.error(line, "asset-outside", target=target)
        return
    if target.startswith("#"):
        return
    normalized = normalize_target(target)
    if normalized is None:
        source.error(line, "asset-outside", target=target)
        return
    suffix = PurePosixPath(normalized).suffix.lower()
    if suffix and suffix not in ASSET_TYPES:
        source.error(
            line,
            "asset-type",
            ext=suffix,
            allowed=", ".join(sorted(e.lstrip(".") for e in ASSET_TYPES)),
        )
        return
    if normalized not in assets:
        source.error(line, "asset-missing", target=target)
        return
    if is_image and not match.group("text").strip():
        source.warn(line, "image-without-alt", target=target)
