"""`lms courses …`: check course folders (import follows with the versioned import)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from lms.content.parser import ParseResult, parse_course


def course_folders(path: Path) -> list[Path]:
    """`path` itself if it is a course, else every course folder inside it."""
    if (path / "course.md").exists() or not path.is_dir():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def default_courses_dir() -> Path:
    return Path(current_app.config.get("COURSES_DIR") or Path.cwd() / "courses")


@click.group("courses")
def courses_group() -> None:
    """Check and import courses written as Markdown folders."""


@courses_group.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True,
              help="Language of the messages.")  # fmt: skip
@with_appcontext
def check_command(path: Path | None, lang: str) -> None:
    """Check one course folder, or every course in PATH (default: ./courses).

    Prints every problem as file:line: message and exits with status 1 when
    there are errors (warnings alone pass).
    """
    folders = course_folders(path or default_courses_dir())
    errors = 0
    with current_app.test_request_context(), force_locale(lang):
        for folder in folders:
            result: ParseResult = parse_course(folder)
            for problem in result.problems:
                click.echo(problem.format())
            errors += len(result.errors)
            warnings = len(result.problems) - len(result.errors)
            status = "OK" if result.ok else "FEHLER" if lang == "de" else "ERRORS"
            click.echo(f"{folder.name}: {status} ({len(result.errors)} / {warnings})", err=True)
    if errors:
        raise SystemExit(1)
