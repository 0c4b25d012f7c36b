"""`lms mail send`: deliver the outbox's mails that are due (see `lms.services.outbox`),
its webhook deliveries (`lms.webhooks.delivery`) and its LTI scores
(`lms.lti.grades`): one sender for all.

Run it from cron or a systemd timer every minute, or with `--loop` as a service of its
own; `lms serve --with-mailer` starts it with `--loop` beside the web server for small
installs (`start_mailer`).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from types import FrameType
from typing import Any

import click
from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from lms.cli import in_cli_language
from lms.clock import now

log = logging.getLogger("lms.outbox")

# How often `--loop` looks for due mails, in seconds.
DEFAULT_INTERVAL_S = 30


@click.group("mail")
def mail_group() -> None:
    """The outbox: the mails Lernwerk writes, sent by this command."""


@mail_group.command("send")
@click.option("--loop", is_flag=True, help="Keep running and send what is due every INTERVAL.")
@click.option(
    "--interval",
    default=DEFAULT_INTERVAL_S,
    show_default=True,
    type=click.IntRange(1, 3600),
    help="Seconds between two looks at the outbox (with --loop).",
)
@click.option("--stop-with-parent", is_flag=True, hidden=True)
@in_cli_language
def mail_send_command(loop: bool, interval: int, stop_with_parent: bool) -> None:
    """Send the mails that are due, over one SMTP connection per batch of 100, and
    deliver the webhooks that are due.

    A mail the server does not take is tried again after 1 and 5 minutes, 30 minutes,
    2 and 12 hours, then given up: it waits on the admin's platform page, which can
    send it again. A webhook the receiver does not answer with 2xx is tried again
    the same way; a failed one waits on its endpoint's page. Without --loop: prints
    how many mails were sent and how many failed (and webhooks, if any were due), and
    exits with status 1 if one failed. Two senders (on two machines) never send one
    mail or webhook twice.
    """
    app = current_app
    if not loop:
        sent, failed, errors = send_all_due(app)
        click.echo(_sent(sent, failed))
        delivered, hooks_failed, hook_errors = deliver_all_webhooks(app)
        if delivered or hooks_failed:
            click.echo(_delivered(delivered, hooks_failed))
        scored, scores_failed, score_errors = deliver_all_lti_scores(app)
        if scored or scores_failed:
            click.echo(_scores_sent(scored, scores_failed))
        hook_errors += [e for e in score_errors if e not in hook_errors]
        for error in errors + [e for e in hook_errors if e not in errors]:
            click.echo(_("Error: %(error)s", error=error), err=True)
        if failed or hooks_failed or scores_failed:
            raise SystemExit(1)
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    parent = os.getppid()
    backend = app.config["MAIL_BACKEND"]
    click.echo(
        _("Sending the outbox's mails every %(num)d s (backend %(backend)s).", num=interval,
          backend=backend)
    )  # fmt: skip
    while not stop.is_set():
        if stop_with_parent and os.getppid() != parent:
            break  # `lms serve` is gone
        try:
            sent, failed, _errors = send_all_due(app)
        except Exception:  # the database away for a moment: try again next round
            log.exception("Sending the outbox's mails failed")
        else:
            if sent or failed:
                click.echo(_sent(sent, failed))
        try:
            delivered, hooks_failed, _errors = deliver_all_webhooks(app)
        except Exception:  # as above
            log.exception("Delivering the outbox's webhooks failed")
        else:
            if delivered or hooks_failed:
                click.echo(_delivered(delivered, hooks_failed))
        try:
            scored, scores_failed, _errors = deliver_all_lti_scores(app)
        except Exception:  # as above
            log.exception("Sending the outbox's LTI scores failed")
        else:
            if scored or scores_failed:
                click.echo(_scores_sent(scored, scores_failed))
        stop.wait(interval)


def _sent(sent: int, failed: int) -> str:
    return ngettext(
        "Sent %(num)d e-mail, %(failed)d failed.",
        "Sent %(num)d e-mails, %(failed)d failed.",
        sent,
        failed=failed,
    )


def _delivered(delivered: int, failed: int) -> str:
    return ngettext(
        "Delivered %(num)d webhook, %(failed)d failed.",
        "Delivered %(num)d webhooks, %(failed)d failed.",
        delivered,
        failed=failed,
    )


def _scores_sent(sent: int, failed: int) -> str:
    return ngettext(
        "Sent %(num)d result to a learning platform (LTI), %(failed)d failed.",
        "Sent %(num)d results to learning platforms (LTI), %(failed)d failed.",
        sent,
        failed=failed,
    )


def deliver_all_lti_scores(app: Flask) -> tuple[int, int, list[str]]:
    """Send batches of due LTI scores (lms/lti/grades.py) until none is due."""
    from lms.lti import grades

    return _until_none_is_due(grades.deliver_due, grades.BATCH)


def deliver_all_webhooks(app: Flask) -> tuple[int, int, list[str]]:
    """Deliver batches of due webhooks until none is due: (delivered, failed, errors)."""
    from lms.webhooks import delivery

    return _until_none_is_due(delivery.deliver_due, delivery.BATCH)


def _until_none_is_due(deliver_due: Any, batch: int) -> tuple[int, int, list[str]]:
    """Run `deliver_due` (an outbox kind's sender: claims a batch, commits the claim,
    sends) until it claims less than a whole batch: (sent, failed, errors)."""
    from lms.db import db

    sent = failed = 0
    errors: list[str] = []
    while True:
        with db.begin() as session:
            run = deliver_due(session, now(), claimed=session.commit)
        sent += run.sent
        failed += run.failed
        errors += [error for error in run.errors if error not in errors]
        if run.claimed < batch:
            return sent, failed, errors


def send_all_due(app: Flask) -> tuple[int, int, list[str]]:
    """Send batches until nothing is due or the connection fails: (sent, failed, errors)."""
    from lms.db import db
    from lms.mail import open_transport
    from lms.services import outbox

    keep_text = app.config["ENV_NAME"] == "development"
    sent = failed = 0
    errors: list[str] = []
    while True:
        with db.begin() as session:
            run = outbox.send_due(
                session,
                now(),
                lambda: open_transport(app),
                claimed=session.commit,
                keep_text=keep_text,
            )
        sent += run.sent
        failed += run.failed
        errors += [error for error in run.errors if error not in errors]
        if run.claimed < outbox.BATCH or run.connection_failed:
            return sent, failed, errors


def start_mailer(interval: int = DEFAULT_INTERVAL_S) -> subprocess.Popen[bytes]:
    """`lms mail send --loop` in a process of its own, beside `lms serve`.

    A process, not a thread of gunicorn's master: the workers are forked from the master,
    and a database connection of a mailer thread would be copied into each of them. It
    stops with the server, and by itself if the server is gone.
    """
    command = [sys.executable, "-c", "from lms.cli import main; main(prog_name='lms')", "mail"]
    command += ["send", "--loop", "--stop-with-parent", "--interval", str(interval)]
    return subprocess.Popen(command)  # noqa: S603 - our own interpreter and module


def stop_mailer(mailer: subprocess.Popen[bytes]) -> None:
    mailer.terminate()
    try:
        mailer.wait(timeout=40)  # a batch in flight finishes (SMTP answers: 30 s at most)
    except subprocess.TimeoutExpired:
        mailer.kill()
        mailer.wait()
