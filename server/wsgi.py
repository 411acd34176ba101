"""The WSGI application for a production server: ``gunicorn server.wsgi:app``."""

from __future__ import annotations

import gc

from server import create_app

app = create_app()

# What start-up built (the app, schemas, SQLAlchemy's metadata) lives as long as the
# process: frozen, the cyclic collector no longer walks it on every full collection.
gc.collect()
gc.freeze()
# A push builds tens of thousands of dicts and lists (ops, records, rows) that all live
# until it answers, so collecting the young generation every 700 allocations finds little
# to free: it ran 4 to 5 times a push, and with 20,000 it seldom does. Cycles are still
# collected (bench/sync_bench.py: about 6% more pushed ops a second).
gc.set_threshold(20_000, 50, 100)
