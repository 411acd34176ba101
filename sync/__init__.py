"""The Wijkpost sync engine: plain Python, no web framework.

`hlc` holds the hybrid logical clock, `model` the operation and record types, `paths` the
field paths that ops address, and `merge` the three-way merge with the conflict policy.
The server only translates HTTP and the database to and from these functions.
"""

SCHEMA_VERSION = 1
