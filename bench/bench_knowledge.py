"""Benchmark: deal-book and claims queries on data loaded once vs re-read per command.

The naive baseline is what a bot without the start-up cache would do: read and validate the
YAML for every command. Both run in this process, in the same run, on the bundled data.
Prints a table and one JSON line. Run: .venv/bin/python bench/bench_knowledge.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from report import Target, report

from commands._shared.yaml_entries import bundled
from commands.acquisitions.deal_book import load_deal_book
from commands.orbital.claims import load_claim_book

DEALS = bundled("acquisitions.yaml")
CLAIMS = bundled("orbital_claims.yaml")
QUERIES = ["spacex", "google", "nvidia", "amazon", "meta", "windsurf", "microsoft", "openai"]


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> bool:
    deal_book = load_deal_book(DEALS, None)
    claim_book = load_claim_book(CLAIMS, None)

    def cached() -> None:
        for q in QUERIES:
            deal_book.search(q)
            claim_book.search(q)

    def naive() -> None:
        for q in QUERIES:
            load_deal_book(DEALS, None).search(q)
            load_claim_book(CLAIMS, None).search(q)

    rows = {
        "loaded once (OrbitDesk)": timed(cached, 50),
        "re-read per command (naive)": timed(naive, 5),
    }
    per_query = {name: statistics.median(ms) / len(QUERIES) for name, ms in rows.items()}
    print(f"{'variant':32} {'median ms per query':>20}")
    for name, ms in per_query.items():
        print(f"{name:32} {ms:20.4f}")
    speedup = per_query["re-read per command (naive)"] / per_query["loaded once (OrbitDesk)"]
    print(f"speed-up: {speedup:,.0f}x")
    details = {
        "cached_ms_per_query": round(per_query["loaded once (OrbitDesk)"], 5),
        "naive_ms_per_query": round(per_query["re-read per command (naive)"], 3),
        "speedup": round(speedup, 1),
        "deals": len(deal_book.deals),
        "claims": len(claim_book.claims),
    }
    cached = per_query["loaded once (OrbitDesk)"]
    naive_ms = per_query["re-read per command (naive)"]
    # The books are read once at start; a query must cost at most a tenth of re-reading them.
    return report(
        "knowledge_queries",
        [Target("deal/claim query, ms each", cached, naive_ms / 10, "ms", baseline=naive_ms)],
        details,
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
