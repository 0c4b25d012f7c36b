"""WSGI entry point: `gunicorn --logger-class lms.serving.MaskingLogger wsgi:app`.

The profile comes from LMS_ENV, else the instance folder's `profile` file, else
production (which refuses to start without its settings); each worker says which.
"""

import sys

from lms import create_app
from lms.cli import prepare_worker_gc, profile_line

app = create_app()
print(f"Lernwerk: {profile_line(app)}.", file=sys.stderr)
# The loaded app out of the collector's way, as `lms serve` does in each worker.
prepare_worker_gc()
