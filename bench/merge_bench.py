"""Per-op merge time on a small and a full record, with this engine and the previous one.

The merge should cost in proportion to the op, not to the record (DESIGN.md §8): an op on
a record with 200 items per group should take about as long as on one with 10. Each op
is applied to the same record many times (``apply_op`` never changes its input), and the
median of several runs is printed in microseconds of CPU time per op (CPU time, not wall
time: the machine may be shared), with the ratio 200 / 10.
The previous engine is the frozen copy in ``tests/sync/reference_merge.py``.

    .venv/bin/python bench/merge_bench.py [--repeat 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sync import merge  # noqa: E402
from sync.hlc import HLC  # noqa: E402
from sync.model import Op, Record  # noqa: E402
from tests.sync import reference_merge  # noqa: E402

AT = "2026-11-24T10:00:00+00:00"
GROUPS = ("parties", "witnesses", "traces")
FIELDS = ("object_type", "licence_plate", "insurer", "policy_number", "damage_description")


class Rules:
    def validate_set(self, rtype: str, key: str, value: Any) -> dict[str, list[str]]:
        return {}

    def missing_required(self, rtype: str, data: dict[str, Any]) -> dict[str, list[str]]:
        return {}


RULES = Rules()


def make_op(n: int, device: str, base_rev: int, set_: dict[str, Any]) -> Op:
    return Op(op_id=f"op-{device}-{n}", record_id="r1", type="vor", base_rev=base_rev,
              set=set_, hlc=HLC(1_700_000_000_000 + n, 0, device), device=device,
              author=f"agent-{device}")


def item(n: int) -> dict[str, Any]:
    return {name: f"{name}-{n}" for name in FIELDS}


def build(engine: Any, items: int) -> Record:
    """A record with ``items`` items in each group, made by several devices' ops."""
    outcome = engine.apply_op(None, make_op(0, "A", 0, {"street": "Oudegracht",
                                                        "narrative": "x" * 500}), RULES, AT)
    record = outcome.record
    n = 1
    for group in GROUPS:
        for start in range(0, items, 10):
            device = "ABCD"[n % 4]
            set_ = {f"{group}[i{k}]": item(k) for k in range(start, min(items, start + 10))}
            record = engine.apply_op(record, make_op(n, device, record.rev, set_), RULES,
                                     AT).record
            n += 1
    return record


def ops(record: Record) -> dict[str, Op]:
    rev = record.rev
    return {
        "edit an item field": make_op(10_000, "E", rev, {"parties[i3]": {"insurer": "Y"}}),
        "remove an item": make_op(10_001, "E", rev, {"witnesses[i5]": None}),
        "add an item": make_op(10_002, "E", rev, {"traces[new]": item(999)}),
        "edit a scalar": make_op(10_003, "E", rev, {"street": "Markt"}),
        "concurrent item edit": make_op(10_004, "E", 1, {"parties[i7]": {"insurer": "Z"}}),
    }


def per_op_us(engine: Any, record: Record, op: Op, repeat: int) -> float:
    runs = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(repeat):
            engine.apply_op(record, op, RULES, AT)
        runs.append((time.process_time() - start) / repeat * 1e6)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=200)
    args = parser.parse_args()
    print(f"per-op merge time in µs, {len(GROUPS)} groups of {args.small} vs {args.large} "
          f"items ({len(FIELDS)} fields each)")
    print(f"{'op':24} {'engine':9} {args.small:>8} {args.large:>8}  ratio")
    for name, engine in (("new", merge), ("previous", reference_merge)):
        small, large = build(engine, args.small), build(engine, args.large)
        small_ops, large_ops = ops(small), ops(large)
        for label in small_ops:
            a = per_op_us(engine, small, small_ops[label], args.repeat)
            b = per_op_us(engine, large, large_ops[label], args.repeat)
            print(f"{label:24} {name:9} {a:8.1f} {b:8.1f}  {b / a:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
