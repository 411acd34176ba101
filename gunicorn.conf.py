"""gunicorn settings for `make run`, the end-to-end tests and the benchmark (read from the
working directory; production passes its own with `--config`)."""

bind = "127.0.0.1:5000"
# One process: the in-memory login limits count per process (several workers need
# WIJKPOST_RATELIMIT_STORAGE=redis://...; see docs/operations.md).
workers = 1
threads = 8
# A connection is closed after each answer. With keep-alive, a request sent just as the
# threaded worker closes an idle connection is reset (benoitc/gunicorn#1698), and a
# browser does not always send it again: the end-to-end tests saw a page wait for it.
keepalive = 0
