"""Run every benchmark in bench/, then print one table of all targets; exit 1 if any is missed.

Each benchmark prints a `BENCH {json}` line (bench/report.py). This collects them, prints a
summary (figure, target, met or not, and the same figure from the previous run), and writes
the lines to bench/results/last.jsonl; the run before is kept as previous.jsonl.

    .venv/bin/python bench/run_all.py [--only NAME ...] [--results DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import MARKER, fmt  # noqa: E402

NOT_BENCHMARKS = {"run_all.py", "report.py", "__init__.py"}


def run_one(script: Path) -> tuple[int, list[dict[str, Any]], float]:
    """Run one benchmark, echoing its output; return its exit code and its BENCH lines."""
    started = time.perf_counter()
    lines: list[dict[str, Any]] = []
    with subprocess.Popen(
        [sys.executable, str(script)], cwd=HERE.parent, stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            if raw.startswith(MARKER):
                lines.append(json.loads(raw[len(MARKER) :]))
            else:
                print(raw, end="", flush=True)
        code = proc.wait()
    return code, lines, time.perf_counter() - started


def previous_figures(path: Path) -> dict[tuple[str, str], float]:
    """Each (bench, target name) -> value from an earlier run's JSON lines."""
    if not path.exists():
        return {}
    out: dict[tuple[str, str], float] = {}
    for raw in path.read_text().splitlines():
        try:
            line = json.loads(raw)
            for t in line.get("targets", []):
                out[(line["bench"], t["name"])] = float(t["value"])
        except (ValueError, KeyError, TypeError):
            continue
    return out


def summary_table(lines: list[dict[str, Any]], before: dict[tuple[str, str], float]) -> str:
    rows = [("benchmark", "target", "measured", "limit", "baseline", "verdict", "last run")]
    for line in lines:
        for t in line["targets"]:
            op = ">=" if t.get("higher_is_better") else "<="
            unit = t.get("unit", "")
            last = before.get((line["bench"], t["name"]))
            rows.append(
                (
                    line["bench"],
                    t["name"],
                    fmt(t["value"]) + unit,
                    f"{op} {fmt(t['limit'])}{unit}",
                    fmt(t.get("baseline")) + (unit if t.get("baseline") is not None else ""),
                    "met" if t["met"] else "NOT MET",
                    fmt(last) + unit if last is not None else "-",
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="benchmark names (file stems)")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    args = parser.parse_args()
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in NOT_BENCHMARKS)
    if args.only:
        scripts = [p for p in scripts if p.stem in set(args.only)]
    failed: list[str] = []
    collected: list[dict[str, Any]] = []
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        code, lines, seconds = run_one(script)
        print(f"=== {script.name}: exit {code} in {seconds:.1f} s\n", flush=True)
        collected.extend(lines)
        if code != 0 or not lines:
            failed.append(script.name if lines else f"{script.name} (no BENCH line)")
    args.results.mkdir(parents=True, exist_ok=True)
    last, previous = args.results / "last.jsonl", args.results / "previous.jsonl"
    before = previous_figures(last)
    if last.exists():
        last.replace(previous)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    last.write_text("".join(json.dumps({**line, "run_at": stamp}) + "\n" for line in collected))
    print(summary_table(collected, before))
    missed = sum(1 for line in collected for t in line["targets"] if not t["met"])
    total = sum(len(line["targets"]) for line in collected)
    print(f"\n{total - missed} of {total} targets met; JSON lines in {last}")
    if failed:
        print("targets missed or benchmark failed in: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
