"""The PWA's local view applies ops as the server does (PROTOCOL.md: apply locally).

A device shows a record as its base with its pending ops applied by ``pwa/src/sync/apply.js``.
For one device editing alone (every op sequential, so every key wins) that view must equal
the record the server makes of the same ops, tombstones and revived items included.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from typing import Any

import pytest

from sync.hlc import HLC
from sync.merge import apply_op
from sync.model import Op

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AT = "2026-11-24T10:00:00+00:00"
SCRIPT = """
import { applySet, emptyRecord } from %s;
let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const out = JSON.parse(input).map((sets) => {
    const record = emptyRecord('r1', 'vor');
    for (const set of sets) applySet(record, set);
    return record.data;
  });
  process.stdout.write(JSON.stringify(out));
});
"""


class Rules:
    def validate_set(self, rtype: str, key: str, value: Any) -> dict[str, list[str]]:
        return {}

    def missing_required(self, rtype: str, data: dict[str, Any]) -> dict[str, list[str]]:
        return {}


def random_sets(rng: random.Random) -> list[dict[str, Any]]:
    sets = []
    for _ in range(rng.randint(1, 12)):
        set_: dict[str, Any] = {}
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.3:
                set_[rng.choice(["street", "narrative"])] = rng.choice(["a", "b", "c"])
            else:
                key = f"parties[{rng.choice(['p1', 'p2', 'p3'])}]"
                set_[key] = None if rng.random() < 0.35 else {
                    name: rng.choice(["x", "y", "z"])
                    for name in rng.sample(["plate", "insurer", "name"], rng.randint(1, 3))}
        sets.append(set_)
    return sets


def server_data(sets: list[dict[str, Any]]) -> dict[str, Any]:
    record = None
    for n, set_ in enumerate(sets):
        op = Op(op_id=f"op-{n}", record_id="r1", type="vor",
                base_rev=record.rev if record else 0, set=set_, hlc=HLC(1000 + n, 0, "A"),
                device="A", author="agent")
        outcome = apply_op(record, op, Rules(), AT)
        assert outcome.status == "applied", outcome
        record = outcome.record
    assert record is not None
    return record.data


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_pwa_view_equals_the_servers_record_for_sequential_ops() -> None:
    rng = random.Random(20261128)
    cases = [random_sets(rng) for _ in range(300)]
    module = json.dumps("file://" + os.path.join(ROOT, "pwa", "src", "sync", "apply.js"))
    done = subprocess.run(["node", "--input-type=module", "-e", SCRIPT % module],
                          input=json.dumps(cases), capture_output=True, text=True,
                          check=True, timeout=60)
    for sets, local in zip(cases, json.loads(done.stdout), strict=True):
        assert local == server_data(sets), sets
