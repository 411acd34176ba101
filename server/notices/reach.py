"""How many subscribed devices a notice reaches: the push subscriptions' count.

Until the Web Push module exists every count is 0; when it does, change only the import
below to ``from server.webpush import subscribed_device_count``.
"""

from __future__ import annotations


def _no_push_yet(team_ids: set[int]) -> int:
    return 0


subscribed_device_count = _no_push_yet
