"""Area notices from beheerders, and what the push sender needs from them.

The scheduler's ``notice-dispatch`` job (``dispatch_due_notices``) hands each due notice to
the Web Push sender (``server.webpush``) once and marks it with ``mark_dispatched``; what
the push services accepted is counted there (``server.webpush.sends_accepted``).
"""

from server.notices.dispatch import dispatch_due_notices, due_notices, mark_dispatched

__all__ = ["dispatch_due_notices", "due_notices", "mark_dispatched"]
