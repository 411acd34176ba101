"""The sync endpoints: push, pull (and the server's clock)."""
