"""Field paths that ops address.

A scalar field is addressed by its name (``narrative``); one item of a list by
``group[<item id>]``; one field of an item by ``group[<item id>].field``. Conflicts are
judged per path, so two officers editing different parties of one accident never clash.
"""

from __future__ import annotations

import re

_ITEM_KEY = re.compile(r"([a-z][a-z0-9_]{0,63})\[([A-Za-z0-9_-]{1,64})\]")


def parse_item_key(key: str) -> tuple[str, str] | None:
    """``parties[p1]`` → ``("parties", "p1")``; a scalar name → None."""
    if "[" not in key:
        return None  # a scalar name: skip the pattern (this runs for every key of a push)
    match = _ITEM_KEY.fullmatch(key)  # not match with $: that accepts a trailing newline
    return (match[1], match[2]) if match else None


def as_set(field: str, value: object) -> tuple[str, object]:
    """The op key and value that set a conflict's ``field`` (``g[i].f`` → ``g[i]: {f: v}``)."""
    key, dot, name = field.partition(".")
    if dot and parse_item_key(key):
        return key, {name: value}
    return field, value


def item_path(group: str, item_id: str) -> str:
    return f"{group}[{item_id}]"


def item_field_path(group: str, item_id: str, field: str) -> str:
    return f"{group}[{item_id}].{field}"
