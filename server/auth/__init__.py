"""Users, devices and bearer tokens."""
