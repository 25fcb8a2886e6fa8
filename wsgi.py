"""WSGI entry point: ``gunicorn wsgi:app``."""

import gc

from lms import create_app

app = create_app()
# Everything loaded so far (modules, the app, templates) lives as long as the process. Moved out of the garbage
# collector's sight, it is no longer rescanned by every full collection, which otherwise added ~100 ms to one
# request in twenty on the heaviest pages (the cohort report's p95 at the bench's large seed).
gc.freeze()
