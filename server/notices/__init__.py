"""Area notices from beheerders, and what the push sender needs from them.

The Web Push sender (``server.webpush``) takes due notices from ``due_notices`` and marks
them with ``mark_dispatched``; it reports accepted sends with ``record_sends_accepted``.
"""

from server.notices.dispatch import due_notices, mark_dispatched, record_sends_accepted

__all__ = ["due_notices", "mark_dispatched", "record_sends_accepted"]
