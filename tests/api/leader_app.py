"""The server as gunicorn serves it, for tests/api/test_webpush_leader.py, with one more
job standing in for the notices module's dispatch: every second it hands each notice in
the JSON file ``WIJKPOST_TEST_NOTICES`` whose ``send_at`` has come to ``deliver_notice``,
and notes which server ran it in ``WIJKPOST_TEST_RUNS``."""

from __future__ import annotations

import json
import os
from datetime import datetime

from server import create_app, scheduler
from server.models import utcnow
from server.webpush import deliver_notice


def dispatch_due_notices() -> int:
    with open(os.environ["WIJKPOST_TEST_RUNS"], "a") as runs:
        runs.write(f"{os.environ['WIJKPOST_TEST_SERVER']} {os.getpid()}\n")
    with open(os.environ["WIJKPOST_TEST_NOTICES"]) as handle:
        notices = json.load(handle)
    due = [n for n in notices if datetime.fromisoformat(n["send_at"]) <= utcnow()]
    for notice in due:
        deliver_notice({**notice, "valid_until": datetime.fromisoformat(notice["valid_until"])},
                       set(notice["team_ids"]))
    return len(due)


scheduler.register_job("test-dispatch", dispatch_due_notices, 1)
app = create_app()
