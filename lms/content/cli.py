"""`lms courses …`: check course folders (import follows with the versioned import)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from lms.content.parser import ParseResult, parse_course
from lms.content.paths import parse_path, path_files


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
        root = path or default_courses_dir()
        known = {folder.name for folder in course_folders(root)}
        for file in path_files(root):
            checked = parse_path(file, known)
            for problem in checked.problems:
                click.echo(problem.format())
            errors += len(checked.errors)
            status = "OK" if not checked.errors else "FEHLER" if lang == "de" else "ERRORS"
            click.echo(f"{checked.path}: {status}", err=True)
    if errors:
        raise SystemExit(1)


@courses_group.command("import-gift")
@click.argument("gift_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", help="Title of the quiz unit (default: made from the file name).")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def import_gift_command(gift_file: Path, out: Path, title: str | None, force: bool) -> None:
    """Convert the Moodle GIFT file GIFT_FILE into the quiz unit OUT (e.g. 03-quiz.md).

    Prints a note, with its line in GIFT_FILE, for everything that could not be
    converted exactly. Exits with status 1, writing nothing, when no question
    could be converted.
    """
    from lms.content.gift import gift_to_questions, questions_to_markdown
    from lms.content.parser import UNIT_FILE

    if out.exists() and not force:
        raise click.ClickException(f"{out} exists; use --force to overwrite it.")
    if not out.parent.is_dir():
        raise click.ClickException(f"The folder {out.parent} does not exist.")
    try:
        text = gift_file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{gift_file} is not UTF-8 text (byte {exc.start}).") from exc
    result = gift_to_questions(text)
    for note in result.notes:
        click.echo(f"{gift_file.name}:{note.line}: {note.message}")
    if not result.questions:
        raise click.ClickException(f"No question of {gift_file.name} could be converted.")
    quiz_title = title or gift_file.stem.replace("_", " ").replace("-", " ").strip().capitalize()
    out.write_text(questions_to_markdown(result.questions, title=quiz_title), encoding="utf-8")
    click.echo(f"{out}: {len(result.questions)} of {result.found} questions converted.")
    if not UNIT_FILE.match(out.name):
        click.echo(f"Rename {out.name} to NN-name.md (e.g. 03-quiz.md) to use it as a unit.")


@courses_group.command("export-gift")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True,
              help="Language of the messages.")  # fmt: skip
@with_appcontext
def export_gift_command(path: Path, out: Path, lang: str) -> None:
    """Write the quiz questions of a course folder, or of one quiz unit file, to OUT as GIFT.

    PATH is a course folder (all its quiz units) or a unit file in one. A course
    with errors is refused. Questions GIFT cannot express are skipped and listed.
    """
    from lms.content.gift import questions_to_gift

    folder = path if path.is_dir() else path.parent
    with current_app.test_request_context(), force_locale(lang):
        result = parse_course(folder)
        for problem in result.errors:
            click.echo(problem.format())
    if result.spec is None:
        raise click.ClickException(f"{folder.name} has errors; fix them first (lms courses check).")
    if path.is_dir():
        units = [u for u in result.spec.main_units if u.questions]
    else:
        wanted = f"{folder.name}/{path.name}"
        units = [u for lang_units in result.spec.units.values() for u in lang_units
                 if u.path == wanted]  # fmt: skip
        if not units:
            raise click.ClickException(f"{path.name} is not a unit of the course {folder.name}.")
        if not units[0].questions:
            raise click.ClickException(f"{path.name} is not a quiz.")
    parts: list[str] = []
    exported = total = 0
    for unit in units:
        export = questions_to_gift(unit.questions)
        for note in export.notes:
            click.echo(f"{unit.path}:{note.line}: {note.message}")
        if export.text:
            parts.append(export.text)
        exported += export.exported
        total += len(unit.questions)
    if not exported:
        raise click.ClickException("None of the questions can be written as GIFT.")
    out.write_text("\n".join(parts), encoding="utf-8")
    click.echo(f"{out}: {exported} of {total} questions exported.")
