"""How many subscribed devices a notice reaches: the Web Push subscriptions' count."""

from server.webpush import subscribed_device_count

__all__ = ["subscribed_device_count"]
