"""Narrowing the review list through an index (search, area) while it stays paged in order.

A page can start from what the index finds and sort it, or walk the list in its order and
test each row until the page is full. The first is cheap for a few matches and costs a
sort of all of them on every page for many; the second is cheap for many matches and
walks the whole team for a rare one. SQLite's planner cannot tell how many rows a
full-text match or an R*Tree box holds, and PostgreSQL's misjudges a prefix match by
tenfold either way. So the candidates are read first, up to ``CAP``: with fewer, the page
starts from them; with more, it walks the list's order and tests row by row, which ends
soon because matches are common. (PostgreSQL's estimate of an area is good: there the
area is one condition and the planner chooses.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal_column, text

from server.extensions import db
from server.models import Registration

# Candidates up to which a page starts from them. Starting there costs about 17 µs of CPU
# a candidate (found, its row read and sorted); walking the order about 4 µs a row passed,
# and a page passes limit / density rows: for a team of 100,000 the two meet between
# 1,000 and 2,000 candidates (bench/queue_bench.py), for a smaller team sooner.
CAP = 1500


@dataclass(frozen=True)
class Narrowing:
    condition: Any  # a registration row matches (tested row by row)
    # a SELECT of keys of what an index finds (every match among them), and
    # ``among(keys)``, the condition that a registration is one of those; ``exact``: all
    # of them match (else ``condition`` is tested on them too)
    candidates: Any = None
    among: Callable[[list[Any]], Any] | None = None
    exact: bool = True


def registration_ids(ids: list[Any]) -> Any:
    """``among`` of candidates that are registration ids."""
    return Registration.id.in_(ids)


def _first(candidates: Any) -> list[Any]:
    return list(db.session.scalars(candidates.subquery().select().limit(CAP)))


def apply(query: Any, teams: Sequence[int], narrowings: Sequence[Narrowing]) -> Any:
    """``query`` (over ``registrations``) within ``teams``, narrowed by each of
    ``narrowings``: starting from the fewest candidates when they are few."""
    if narrowings and db.session.get_bind().dialect.name == "postgresql":
        # A walk that stops after a page has the cost of the whole walk in the plan, which
        # sets off JIT compilation: tens of milliseconds for a page that takes a few.
        db.session.execute(text("SET LOCAL jit = off"))
    driver, driver_keys = None, None
    for narrowing in narrowings:
        if narrowing.candidates is None or narrowing.among is None:
            continue
        keys = _first(narrowing.candidates)
        if len(keys) < CAP and (driver_keys is None or len(keys) < len(driver_keys)):
            driver, driver_keys = narrowing, keys
    if driver is None or driver.among is None or driver_keys is None:
        return query.where(Registration.team_id.in_(teams),
                           *(n.condition for n in narrowings))
    # The page starts from the candidates, found once: the unary plus keeps the database
    # off the team's indexes, so it reads them through the primary key instead of
    # walking the team in order.
    query = query.where(literal_column("+registrations.team_id").in_(teams),
                        driver.among(driver_keys),
                        *(n.condition for n in narrowings if n is not driver))
    # the exact test of the driver last: SQLite tests the terms of a row in their order,
    # and a shape's test costs more than a search's
    return query if driver.exact else query.where(driver.condition)
