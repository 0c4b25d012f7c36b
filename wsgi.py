"""WSGI entry point: `gunicorn wsgi:app`."""

from lms import create_app
from lms.cli import prepare_worker_gc

app = create_app()
# The loaded app out of the collector's way, as `lms serve` does in each worker.
prepare_worker_gc()
