"""Web Push for area notices: VAPID keys, subscriptions, recorded sends with retries.

The interface the notices module uses:

- ``subscribed_device_count(team_ids) -> int``: devices a notice for those teams reaches.
- ``deliver_notice(notice, team_ids)``: ``notice`` has ``id``, ``title``, ``priority``
  (1..3) and ``valid_until`` (aware); one send per subscription of the teams' officers,
  recorded before it goes out; commits the session; calling it again repeats nothing.
- ``sends_accepted(notice_id) -> int`` (and ``sends_accepted_many``): "reached".
- ``end_subscriptions_for_user(user_id)``: call wherever a user's team changes.

Retries run as the scheduler job ``push-retry`` (``init_app`` registers it). A notice
dispatch job plugs into the scheduler the same way, with an interval of at most 30 s so a
due notice reaches the push service within a minute of its ``send_at``::

    def dispatch_due_notices() -> int:
        due = ...  # notices with send_at <= now and pushed_at IS NULL
        for notice in due:
            deliver_notice({"id": notice.id, "title": notice.title,
                            "priority": notice.priority, "valid_until": notice.valid_until},
                           teams_of(notice))
            notice.pushed_at = utcnow()
            db.session.commit()  # a crash before this line repeats nothing but the call
        return len(due)

    scheduler.register_job("notice-dispatch", dispatch_due_notices, 15)
"""

from __future__ import annotations

from flask import Flask

from server.webpush.delivery import (
    deliver_notice,
    purge_old_sends,
    retry_due_sends,
    send_due,
    sends_accepted,
    sends_accepted_many,
)
from server.webpush.subscriptions import (
    end_subscription_for_device,
    end_subscriptions_for_user,
    subscribed_device_count,
)

__all__ = [
    "deliver_notice",
    "end_subscription_for_device",
    "end_subscriptions_for_user",
    "init_app",
    "send_due",
    "sends_accepted",
    "sends_accepted_many",
    "subscribed_device_count",
]


def init_app(app: Flask) -> None:
    """Check the push configuration at start-up and plug in the retry job."""
    from server import scheduler
    from server.webpush import endpoints, vapid

    app.config["PUSH_ORIGINS"] = endpoints.parse_origins(app.config["PUSH_ENDPOINTS"])
    vapid.check_configuration(app, scheduler.serving())
    scheduler.register_job("push-retry", retry_due_sends, app.config["PUSH_RETRY_JOB_SECONDS"])
    scheduler.register_job("push-sends-purge", purge_old_sends, 24 * 3600)
