"""`make bench` (python -m bench): every benchmark in one run, each figure beside its same-run baseline.

    .venv/bin/python -m bench [--workdir DIR] [--skip-audit]

1. engine decisions/s against the raw-sqlite3 floor, SQL statements per decision, latency;
2. HTTP decisions/s through `sanshen serve` (token auth, loopback), one worker and two;
3. the queue at 100 000 drafts (API and page);
4. PostgreSQL scale-out: 1, 2 and 4 server processes, 32 clients, anomalies counted;
5. audit: `audit verify` events/s and export peak RSS at a million events (bench.audit);
6. growth: queue and decision latency at 1 000, 10 000 and 100 000 drafts, plotted to growth.png;

and the pre-check scan (bench.precheck). Writes bench/results/summary.md, summary.json and growth.png
(each part also writes its own JSON), and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import decisions, queue, scaleout
from bench.common import RESULTS, machine, write_json

SIZES = (1_000, 10_000, 100_000)
GOALS = {
    "engine_ratio_to_floor": 0.25,
    "statements_per_decision": 8,
    "http_decisions_per_second": 400,
    "queue_p95_ms": 20,
    "audit_events_per_second": 100_000,
    "export_peak_rss_mb": 200,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/sanshen-bench"))
    parser.add_argument("--skip-audit", action="store_true", help="Reuse bench/results/audit.json.")
    arguments = parser.parse_args()
    workdir: Path = arguments.workdir
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    started = time.perf_counter()
    results: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine()}

    step("1/6 engine decisions against the raw-sqlite3 floor")
    results["engine"] = decisions.measure_engine(workdir / "engine", drafts=300)
    step("2/6 HTTP decisions, 1 and 2 workers")
    results["http"] = decisions.measure_http(workdir / "http", drafts=150, workers=(1, 2), clients=8)
    step("3/6 and 6/6 the queue and decisions at 1 000, 10 000 and 100 000 drafts")
    results["growth"] = {
        str(size): queue.measure_size(workdir / "queue", size, requests=200, decisions=200) for size in SIZES
    }
    shutil.rmtree(workdir / "queue", ignore_errors=True)
    step("4/6 PostgreSQL scale-out: 1, 2 and 4 processes, 32 clients")
    results["scaleout"] = scaleout.measure(workdir / "scaleout", processes=(1, 2, 4), drafts=100, clients=32)
    step("5/6 audit at a million events")
    if not arguments.skip_audit:
        subprocess.run([sys.executable, "-m", "bench.audit", "--workdir", str(workdir / "audit")], check=True)
        shutil.rmtree(workdir / "audit", ignore_errors=True)
    results["audit"] = json.loads((RESULTS / "audit.json").read_text(encoding="utf-8"))
    step("pre-check scan")
    subprocess.run([sys.executable, "-m", "bench.precheck"], check=True, stdout=subprocess.DEVNULL)
    results["precheck"] = json.loads((RESULTS / "precheck.json").read_text(encoding="utf-8"))
    results["seconds"] = round(time.perf_counter() - started)
    write_json("summary", results)
    plot(results["growth"], RESULTS / "growth.png")
    table = summary(results)
    (RESULTS / "summary.md").write_text(table, encoding="utf-8")
    sys.stdout.write("\n" + table)


def step(what: str) -> None:
    sys.stderr.write(f"[bench {datetime.now().strftime('%H:%M:%S')}] {what}\n")
    sys.stderr.flush()


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def summary(results: dict[str, Any]) -> str:
    engine, floor = results["engine"]["engine"], results["engine"]["floor"]
    ratio = results["engine"]["ratio_to_floor"]
    http = results["http"]
    biggest = results["growth"][str(SIZES[-1])]
    scale = results["scaleout"]
    audit = results["audit"]["figures"]
    precheck = results["precheck"]
    rows = [
        (
            "1. engine decisions/s (SQLite)",
            f"{engine['decisions_per_second']:,}",
            f"raw sqlite3 floor {floor['decisions_per_second']:,}",
            f"{ratio:.1%}",
            f"≥ {GOALS['engine_ratio_to_floor']:.0%} of floor: {_met(ratio >= GOALS['engine_ratio_to_floor'])}",
        ),
        (
            "1. SQL statements per decision",
            f"{engine['statements_per_decision']} (max {engine['statements_max']})",
            f"floor {floor['statements_per_decision']}",
            f"{engine['statements_per_decision'] / floor['statements_per_decision']:.1f}×",
            f"≤ {GOALS['statements_per_decision']}: "
            f"{_met(engine['statements_per_decision'] <= GOALS['statements_per_decision'])}",
        ),
        (
            "1. engine decision latency p50/p95/p99",
            f"{engine['p50_ms']} / {engine['p95_ms']} / {engine['p99_ms']} ms",
            f"floor {floor['p50_ms']} / {floor['p95_ms']} / {floor['p99_ms']} ms",
            "",
            "",
        ),
    ]
    for name, figures in http.items():
        per_second = figures["decisions_per_second"]
        rows.append(
            (
                f"2. HTTP decisions/s, {name.replace('_', ' ')}, {figures['clients']} clients",
                f"{per_second:,} (p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms)",
                f"engine {engine['decisions_per_second']:,}",
                f"{per_second / engine['decisions_per_second']:.2f}",
                f"≥ {GOALS['http_decisions_per_second']}/s: {_met(per_second >= GOALS['http_decisions_per_second'])}",
            )
        )
    for key, label in (("queue_api", "GET /api/v1/queue?limit=50"), ("queue_page", "queue page GET /queue")):
        figures = biggest[key]
        small = results["growth"][str(SIZES[0])][key]
        rows.append(
            (
                f"3. {label} at {SIZES[-1]:,} drafts, p50/p95",
                f"{figures['p50_ms']} / {figures['p95_ms']} ms",
                f"at {SIZES[0]:,} drafts {small['p50_ms']} / {small['p95_ms']} ms",
                f"{figures['p95_ms'] / small['p95_ms']:.1f}× (p95)",
                f"p95 ≤ {GOALS['queue_p95_ms']} ms: {_met(figures['p95_ms'] <= GOALS['queue_p95_ms'])}",
            )
        )
    base = next(iter(scale["runs"].values()))
    for name, figures in scale["runs"].items():
        anomalies = sum(figures["anomalies"].values())
        rows.append(
            (
                f"4. PostgreSQL {name.replace('_', ' ')}, {scale['clients']} clients",
                f"{figures['decisions_per_second']:,}/s (p95 {figures['p95_ms']} ms)",
                f"1 process {base['decisions_per_second']:,}/s",
                f"{figures['ratio_to_1_process']}",
                f"anomalies {anomalies}: {_met(anomalies == 0)}",
            )
        )
    rows.append(
        ("4. audit verify after the scale-out runs", scale["audit_verify"], "", "", _met(scale["audit_verify"] == "ok"))
    )
    verify = audit["verify_database"]
    stdlib = audit["baseline_stdlib_verify_export"]
    export = audit["export_jsonl"]
    rows += [
        (
            f"5. audit verify at {results['audit']['events']:,} events",
            f"{verify['events_per_second']:,} events/s",
            f"stdlib verifier {stdlib['events_per_second']:,} events/s",
            f"{verify['events_per_second'] / stdlib['events_per_second']:.2f}",
            f"≥ 100 000/s: {_met(verify['events_per_second'] >= GOALS['audit_events_per_second'])}",
        ),
        (
            "5. audit export peak RSS",
            f"{export['peak_rss_mb']} MB",
            f"stdlib verifier {stdlib['peak_rss_mb']} MB",
            "",
            f"≤ 200 MB: {_met(export['peak_rss_mb'] <= GOALS['export_peak_rss_mb'])}",
        ),
        (
            "pre-check scan, 20 000 characters",
            f"{precheck['scan']['median_ms']} ms median",
            f"one big regex {precheck['baseline_regex_alternation']['median_ms']} ms",
            f"{precheck['scan']['median_ms'] / precheck['baseline_regex_alternation']['median_ms']:.2f}",
            f"< 50 ms: {_met(precheck['goal_met'])}",
        ),
    ]
    lines = [
        "# Sanshen benchmarks",
        "",
        f"{results['machine']}; {results['when']}; the whole run took {results['seconds']} s. "
        "Every baseline was measured in the same run.",
        "",
        "| figure | measured | baseline (same run) | ratio | goal |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
        "",
        "## 6. Growth (p50 / p95 ms)",
        "",
        "![growth](growth.png)",
        "",
        "| drafts | build s | decision | GET /api/v1/queue?limit=50 | queue page |",
        "|---:|---:|---|---|---|",
    ]
    for size, figures in results["growth"].items():
        lines.append(
            f"| {int(size):,} | {figures['build_seconds']} | "
            + " | ".join(
                f"{figures[key]['p50_ms']} / {figures[key]['p95_ms']}"
                for key in ("decision", "queue_api", "queue_page")
            )
            + " |"
        )
    lines += [
        "",
        "Reproduce with `make bench` (or `.venv/bin/python -m bench`). Details of each part are in the JSON "
        "files beside this one; how each is measured is in the docstrings of `bench/`.",
        "",
    ]
    return "\n".join(lines)


def plot(growth: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    sizes = [int(size) for size in growth]
    figure, axis = pyplot.subplots(figsize=(7, 4.2), dpi=110)
    for key, label in (
        ("decision", "decision (engine)"),
        ("queue_api", "GET /api/v1/queue?limit=50"),
        ("queue_page", "queue page"),
    ):
        for cut, style in (("p50_ms", "-o"), ("p95_ms", "--^")):
            axis.plot(sizes, [growth[str(s)][key][cut] for s in sizes], style, label=f"{label} {cut[:3]}")
    axis.set_xscale("log")
    axis.set_xlabel("drafts in the database")
    axis.set_ylabel("milliseconds")
    axis.set_title("Latency as the database grows")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


if __name__ == "__main__":
    os.environ.setdefault("SANSHEN_PASSWORD_PROFILE", "cheapest")
    main()
