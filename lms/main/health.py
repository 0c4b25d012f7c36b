"""The readiness checks behind /healthz/ready: may this instance take requests now?

The database must accept a write (not merely answer a read: a full disk, a held
lock or a read-only standby let reads through), and the folders the app writes to
must have room: the instance folder (uploads, the secret key) and, on SQLite, the
database file's folder. The answers name the check and its verdict, nothing more.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from flask import Flask

from lms.db import db

log = logging.getLogger("lms.health")

OK = "ok"
FAILED = "failed"
LOW = "low"  # less free space than HEALTH_MIN_FREE_MB


def readiness(app: Flask) -> dict[str, str]:
    """Each check's verdict: "ok", or what is wrong ("failed", "low")."""
    return {"database": _database(), "disk": _disk(_folders(app), app.config["HEALTH_MIN_FREE_MB"])}


def _database() -> str:
    try:
        db.probe_write()
    except Exception as exc:  # any failure means not ready, whatever the driver raises
        log.warning("Readiness: the database accepts no write: %s", type(exc).__name__)
        return FAILED
    return OK


def _folders(app: Flask) -> list[Path]:
    folders = [Path(app.instance_path)]
    database = db.engine.url.database
    if db.dialect == "sqlite" and database:
        folders.append(Path(database).resolve().parent)
    return folders


def _disk(folders: list[Path], min_free_mb: int) -> str:
    verdict = OK
    for folder in dict.fromkeys(folders):
        try:
            free = shutil.disk_usage(folder).free
        except OSError as exc:
            log.warning("Readiness: no free space known for %s: %s", folder, exc.strerror)
            return FAILED
        if free < min_free_mb * 1024 * 1024:
            log.warning("Readiness: %s has %d MB free", folder, free // (1024 * 1024))
            verdict = LOW
    return verdict
