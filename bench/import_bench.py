"""Course import benchmark: 100 generated courses × 10 units, cold and unchanged.

    .venv/bin/python bench/import_bench.py [--courses 100] [--units 10] [--database-url URL]

Prints the time of the first import (parse, check, render, store: every course a
new version) and of a second import of the unchanged folders (no new versions).
Targets on a 2-core machine: under 10 s cold, under 1 s unchanged.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LESSON = """\
---
type: lesson
title: Lektion {n}
minutes: 8
---
## Worum es geht

Dieser Abschnitt erklärt Schritt {n}. Lesen Sie ihn in Ruhe; er dauert nur wenige Minuten.
Im Betrieb zählt, dass alle die Regeln kennen und anwenden.

- Erster Punkt mit **Betonung**
- Zweiter Punkt mit einem [Link](https://www.bsi.bund.de)
- Dritter Punkt

| Situation | Richtig | Falsch |
|---|---|---|
| Fremder USB-Stick | abgeben | einstecken |
| Unbekannte Mail | melden | öffnen |

!!! tip "Tipp"
    Fragen Sie im Zweifel Ihre IT-Ansprechperson.

![Ein Schaubild zum Ablauf](assets/bild.png)

Ein Satz mit Fußnote[^1].

[^1]: Quelle: Beispielquelle.
"""

QUIZ = """\
---
type: quiz
title: Wissenscheck {n}
pass_mark: 80
max_attempts: 3
shuffle: true
---
Beantworten Sie die Fragen.

## Wie lang sollte ein Passwort mindestens sein? {{#laenge-{n}}}
- ( ) 6 Zeichen
- (x) 12 Zeichen
  > Richtig.
- ( ) 8 Zeichen

explanation: Lange Passphrasen sind sicher.

## Was gehört zu Phishing? {{#merkmale-{n}}}
- [x] Zeitdruck
- [x] Falscher Absender
- [ ] Korrekte Anrede
scoring: partial

## Ein Passwort darf am Monitor kleben. {{#zettel-{n}}}
answer: falsch

## Wie viele Stunden hat die Meldefrist? {{#frist-{n}}}
answer: 72
tolerance: 0
unit: Stunden

## Wie heißt der Betrug? {{#begriff-{n}}}
answer: Phishing
regex: ^ph?ishing$

## Ergänzen Sie. {{#luecke-{n}}}
Eine [[Mail | E-Mail]] ist [[( ) harmlos | (x) verdächtig]].

## Ordnen Sie zu. {{#paare-{n}}}
- Phishing -> gefälschte Mail
- Backup -> Sicherung
- -> Ablenkung

## Reihenfolge {{#schritte-{n}}}
1. Nicht öffnen
2. Melden
3. Löschen
"""

COURSE = """\
---
title: Generiertes Lernmodul {n}
summary: Ein Lernmodul für den Import-Benchmark.
language: de
valid_for: 12 months
tags: [benchmark]
---
Beschreibung.
"""


def generate(root: Path, courses: int, units: int) -> None:
    png = (ROOT / "lms" / "static" / "img" / "favicon.svg").read_bytes()
    for c in range(courses):
        folder = root / f"kurs-{c:03d}"
        (folder / "assets").mkdir(parents=True)
        (folder / "assets" / "bild.png").write_bytes(png + str(c).encode())
        (folder / "course.md").write_text(COURSE.format(n=c), encoding="utf-8")
        for u in range(1, units + 1):
            template = QUIZ if u % 3 == 0 else LESSON
            text = template.format(n=f"{c}-{u}")
            (folder / f"{u:02d}-einheit-{u}.md").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--courses", type=int, default=100)
    parser.add_argument("--units", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lms-import-bench-") as tmp:
        tmp_path = Path(tmp)
        os.environ["LMS_INSTANCE_PATH"] = str(tmp_path / "instance")
        from config import DevelopmentConfig
        from lms import create_app, migrate
        from lms.content.importer import ImportStatus, import_course
        from lms.db import db

        url = args.database_url or f"sqlite:///{tmp_path / 'bench.sqlite3'}"
        app = create_app(DevelopmentConfig, {"DATABASE_URL": url, "SECRET_KEY": "bench" * 8})
        with app.app_context():
            migrate.upgrade(app)
        courses_dir = tmp_path / "courses"
        generate(courses_dir, args.courses, args.units)
        folders = sorted(courses_dir.iterdir())
        files = sum(1 for _ in courses_dir.rglob("*.md"))
        print(f"{len(folders)} courses, {files} Markdown files, database {url.split(':')[0]}")

        def run() -> tuple[float, dict[str, int]]:
            counts: dict[str, int] = {}
            start = time.perf_counter()
            with app.test_request_context():
                for folder in folders:
                    with db.begin() as session:
                        outcome = import_course(session, folder, _now())
                    counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
            return time.perf_counter() - start, counts

        cold, cold_counts = run()
        warm, warm_counts = run()
        assert cold_counts == {ImportStatus.CREATED.value: len(folders)}, cold_counts
        assert warm_counts == {ImportStatus.UNCHANGED.value: len(folders)}, warm_counts
        print(f"cold import:      {cold:6.2f} s  ({cold / len(folders) * 1000:.1f} ms per course)")
        print(f"unchanged import: {warm:6.2f} s  ({warm / len(folders) * 1000:.1f} ms per course)")
        app.extensions["db"].engine.dispose()


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


if __name__ == "__main__":
    main()
