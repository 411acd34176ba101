"""The WSGI application for a production server: ``gunicorn server.wsgi:app``."""

from __future__ import annotations

import gc

from server import create_app

app = create_app()

# What start-up built (the app, schemas, SQLAlchemy's metadata) lives as long as the
# process. Freezing it keeps the cyclic collector from walking it again on every full
# collection: a push allocates enough small objects to trigger several a request.
gc.collect()
gc.freeze()
