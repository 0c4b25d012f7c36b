"""`lms courses …`: check course folders (import follows with the versioned import)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from lms.cli import cli_language, in_cli_language
from lms.content.parser import ParseResult, parse_course
from lms.content.paths import parse_path, path_files

LANG_HELP = "Language of the output (default: LMS_CLI_LANGUAGE, else the locale)."


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
@click.option("--lang", type=click.Choice(["de", "en"]), default=None, help=LANG_HELP)
@in_cli_language
def check_command(path: Path | None, lang: str | None) -> None:
    """Check one course folder, or every course in PATH (default: ./courses).

    Prints every problem as file:line: message and exits with status 1 when
    there are errors (warnings alone pass).
    """
    folders = course_folders(path or default_courses_dir())
    errors = 0
    with current_app.test_request_context(), force_locale(lang or cli_language()):
        for folder in folders:
            result: ParseResult = parse_course(folder)
            for problem in result.problems:
                click.echo(problem.format())
            errors += len(result.errors)
            warnings = len(result.problems) - len(result.errors)
            status = _("OK") if result.ok else _("ERRORS")
            click.echo(f"{folder.name}: {status} ({len(result.errors)} / {warnings})", err=True)
        root = path or default_courses_dir()
        known = {folder.name for folder in course_folders(root)}
        for file in path_files(root):
            checked = parse_path(file, known)
            for problem in checked.problems:
                click.echo(problem.format())
            errors += len(checked.errors)
            status = _("ERRORS") if checked.errors else _("OK")
            click.echo(f"{checked.path}: {status}", err=True)
    if errors:
        raise SystemExit(1)


@courses_group.command("import-gift")
@click.argument("gift_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", help="Title of the quiz unit (default: made from the file name).")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@in_cli_language
def import_gift_command(gift_file: Path, out: Path, title: str | None, force: bool) -> None:
    """Convert the Moodle GIFT file GIFT_FILE into the quiz unit OUT (e.g. 03-quiz.md).

    Prints a note, with its line in GIFT_FILE, for everything that could not be
    converted exactly. Exits with status 1, writing nothing, when no question
    could be converted.
    """
    from lms.content.gift import gift_to_questions, questions_to_markdown
    from lms.content.parser import UNIT_FILE

    if out.exists() and not force:
        raise click.ClickException(_("%(file)s exists; use --force to overwrite it.", file=out))
    if not out.parent.is_dir():
        raise click.ClickException(_("The folder %(folder)s does not exist.", folder=out.parent))
    try:
        text = gift_file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(
            _("%(file)s is not UTF-8 text (byte %(byte)d).", file=gift_file, byte=exc.start)
        ) from exc
    result = gift_to_questions(text)
    for note in result.notes:
        click.echo(f"{gift_file.name}:{note.line}: {note.message}")
    if not result.questions:
        raise click.ClickException(
            _("No question of %(file)s could be converted.", file=gift_file.name)
        )
    quiz_title = title or gift_file.stem.replace("_", " ").replace("-", " ").strip().capitalize()
    out.write_text(questions_to_markdown(result.questions, title=quiz_title), encoding="utf-8")
    click.echo(
        _("%(file)s: %(num)d of %(found)d questions converted.", file=out,
          num=len(result.questions), found=result.found)
    )  # fmt: skip
    if not UNIT_FILE.match(out.name):
        click.echo(
            _("Rename %(name)s to NN-name.md (e.g. 03-quiz.md) to use it as a unit.",
              name=out.name)
        )  # fmt: skip


@courses_group.command("export-gift")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["de", "en"]), default=None, help=LANG_HELP)
@in_cli_language
def export_gift_command(path: Path, out: Path, lang: str | None) -> None:
    """Write the quiz questions of a course folder, or of one quiz unit file, to OUT as GIFT.

    PATH is a course folder (all its quiz units) or a unit file in one. A course
    with errors is refused. Questions GIFT cannot express are skipped and listed.
    """
    folder = path if path.is_dir() else path.parent
    with current_app.test_request_context(), force_locale(lang or cli_language()):
        _export_gift(path, folder, out)


def _export_gift(path: Path, folder: Path, out: Path) -> None:
    from lms.content.gift import questions_to_gift

    result = parse_course(folder)
    for problem in result.errors:
        click.echo(problem.format())
    if result.spec is None:
        raise click.ClickException(
            _("%(name)s has errors; fix them first (lms courses check).", name=folder.name)
        )
    if path.is_dir():
        units = [u for u in result.spec.main_units if u.questions]
    else:
        wanted = f"{folder.name}/{path.name}"
        units = [u for lang_units in result.spec.units.values() for u in lang_units
                 if u.path == wanted]  # fmt: skip
        if not units:
            raise click.ClickException(
                _("%(file)s is not a unit of the module %(name)s.", file=path.name,
                  name=folder.name)
            )  # fmt: skip
        if not units[0].questions:
            raise click.ClickException(_("%(file)s is not a quiz.", file=path.name))
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
        raise click.ClickException(_("None of the questions can be written as GIFT."))
    out.write_text("\n".join(parts), encoding="utf-8")
    click.echo(
        _("%(file)s: %(num)d of %(total)d questions exported.", file=out, num=exported,
          total=total)
    )  # fmt: skip
