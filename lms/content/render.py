"""Markdown to safe HTML: Python-Markdown with a fixed extension set, then nh3.

Rendering happens once, at import; pages only show the stored result. The
sanitiser works from an allow-list: no script, no event handlers, no styles, and
only http, https, mailto and links to the course's own assets survive. Asset
links are rewritten to the versioned URL the caller supplies.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import PurePosixPath

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from lms.content.markdown_checks import normalize_target

VIDEO = {".mp4", ".webm"}
AUDIO = {".mp3", ".ogg", ".m4a"}

TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "del",
    "ins",
    "mark",
    "small",
    "sub",
    "sup",
    "code",
    "pre",
    "kbd",
    "blockquote",
    "q",
    "abbr",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "a",
    "img",
    "figure",
    "figcaption",
    "video",
    "audio",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "div",
    "span",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "video": {"src", "controls", "preload"},
    "audio": {"src", "controls", "preload"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "abbr": {"title"},
    "sup": {"id"},
    "li": {"id"},
    "ol": {"start"},
}
CLASSES = {
    "div": {"admonition", "note", "tip", "warning", "important", "footnote"},
    "p": {"admonition-title"},
    "a": {"footnote-ref", "footnote-backref"},
}
URL_ATTRIBUTES = {("a", "href"), ("img", "src"), ("video", "src"), ("audio", "src")}

AssetUrl = Callable[[str], str]


class _Adjust(Treeprocessor):
    """Headings start at h2 (the page has the h1); media files become players."""

    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            if element.tag == "h1":
                element.tag = "h2"
            if element.tag == "img":
                suffix = PurePosixPath(element.get("src", "")).suffix.lower()
                if suffix in VIDEO | AUDIO:
                    alt = element.get("alt", "")
                    src = element.get("src", "")
                    element.attrib.clear()
                    element.tag = "video" if suffix in VIDEO else "audio"
                    element.set("src", src)
                    element.set("controls", "controls")
                    element.set("preload", "metadata")
                    element.text = alt


class _AdjustExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_Adjust(md), "lms_adjust", 1)


_local = threading.local()


def _markdown() -> markdown.Markdown:
    """One converter per thread, reset between documents (building one is costly)."""
    converter: markdown.Markdown | None = getattr(_local, "converter", None)
    if converter is None:
        converter = _new_markdown()
        _local.converter = converter
    converter.reset()
    return converter


def _new_markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[
            "tables",
            "footnotes",
            "admonition",
            "sane_lists",
            "fenced_code",
            _AdjustExtension(),
        ],
        extension_configs={"footnotes": {"BACKLINK_TITLE": ""}},
        output_format="html",
    )


def sanitize(html: str, asset_url: AssetUrl | None = None) -> str:
    """Keep only allowed tags, attributes, classes and URLs; rewrite asset links."""

    def filter_attribute(tag: str, attribute: str, value: str) -> str | None:
        if (tag, attribute) not in URL_ATTRIBUTES:
            return value
        return _filter_url(tag, value, asset_url)

    return nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template", "noscript"},
        attributes=ATTRIBUTES,
        allowed_classes=CLASSES,
        url_schemes={"http", "https", "mailto"},
        attribute_filter=filter_attribute,
        link_rel="noopener noreferrer",
    )


def _filter_url(tag: str, value: str, asset_url: AssetUrl | None) -> str | None:
    stripped = value.strip()
    lowered = stripped.lower()
    if lowered.startswith(("http://", "https://", "mailto:")):
        # Media only from the course's own assets (the CSP would block others anyway).
        return stripped if tag == "a" else None
    if stripped.startswith("#"):
        return stripped if tag == "a" else None
    if ":" in stripped.split("/", 1)[0]:
        return None  # any other scheme
    target = normalize_target(stripped)
    if target is None or not target.startswith("assets/") or asset_url is None:
        return None
    return asset_url(target)


def render_markdown(text: str, asset_url: AssetUrl | None = None) -> str:
    """Render course Markdown to sanitised HTML."""
    if not text.strip():
        return ""
    return sanitize(_markdown().convert(text), asset_url)


def render_inline(text: str, asset_url: AssetUrl | None = None) -> str:
    """Render a short text (a choice, a feedback line) without the surrounding paragraph."""
    html = render_markdown(text, asset_url)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html
