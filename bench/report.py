"""How a benchmark reports its targets, so `make bench` can print one table across all of them.

Each benchmark ends with `report("name", [Target(...), ...], details)`: it prints a short
met/not met list and one machine-readable line, `BENCH {json}`, which `bench/run_all.py`
collects into its summary table and into `bench/results/last.jsonl`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

MARKER = "BENCH "


@dataclass(frozen=True)
class Target:
    """One measured figure and the limit it must meet (`<=` unless `higher_is_better`)."""

    name: str
    value: float
    limit: float
    unit: str = ""
    higher_is_better: bool = False
    baseline: float | None = None  # the naive baseline's figure in the same run, when there is one

    @property
    def met(self) -> bool:
        if math.isnan(self.value):
            return False
        return self.value >= self.limit if self.higher_is_better else self.value <= self.limit

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["met"] = self.met
        return out


def report(bench: str, targets: Sequence[Target], details: dict[str, Any] | None = None) -> bool:
    """Print each target's verdict and the `BENCH` line; True when every target is met."""
    for t in targets:
        op = ">=" if t.higher_is_better else "<="
        print(
            f"  {'met' if t.met else 'NOT MET':<8}{t.name}: {fmt(t.value)}{t.unit} "
            f"(target {op} {fmt(t.limit)}{t.unit})"
        )
    line = {"bench": bench, "targets": [t.as_json() for t in targets], "details": details or {}}
    print(MARKER + json.dumps(line, default=str), flush=True)
    return all(t.met for t in targets)


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if math.isnan(value):
        return "n/a"
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
