"""`make bench`: the pipeline side by side with the engine floor and a plain-pandas peer, per preset.

For each preset: generate (once) the data, then `--repeat` times run, each in its own child process:
floor (bench/floor.sql), peer (bench/peer_pandas.py), pipeline full (the Dagster job from landing files
to marts on an empty warehouse) and pipeline nightly (one new day plus the look-back window on top of
that history). The first repetition's outputs are checked for agreement, its full run's own partner summary is
fitted alone (bench/predictive_fit.py: the predictive models' seconds and peak memory), and what its nightly run
changed is recorded (bench/changed_periods.py: the rows of the changed periods, untimed). Medians and the
ratios of each repetition's back-to-back runs go to bench/results/<date>.json and a printed table.
`--engines` also runs the demo preset's full run on each dbt engine side by side (bench/engines.py).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil

from bench import agreement, changed_periods, engines
from bench.data import DATA_DIR, Dataset, ensure
from bench.measure import Measurement, run_measured
from orchestration.cli import build_manifest

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PRESETS = ("small", "demo", "large")
PATHS = ("floor", "peer", "pipeline_full", "pipeline_nightly")  # plus the predictive fit alone (bench_predictive_fit)
PACKAGES = (
    "dagster",
    "dagster-dbt",
    "dbt-core",
    "dbt-duckdb",
    "duckdb",
    "pandas",
    "numpy",
    "pyarrow",
    "great-expectations",
    "pymc-marketing",
    "pymc",
    "pytensor",
)
GB = 1024
# The targets for the predictive fit alone on the large preset's own summary (100,000 partners).
PREDICTIVE_FIT_TARGET_S = 300
PREDICTIVE_FIT_TARGET_GB = 4


class BenchError(RuntimeError):
    """A bench path failed; the message names its log file."""


def _child(module: str, *args: object) -> list[str]:
    return [sys.executable, "-m", f"bench.{module}", *(str(a) for a in args)]


def _child_env() -> dict[str, str]:
    return {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "False",
    }


def memory_cap_mb() -> float:
    """The most a bench path may hold resident: PRA_BENCH_MEMORY_CAP_GB, default 75% of this machine."""
    default = 0.75 * psutil.virtual_memory().total / 2**30
    return float(os.environ.get("PRA_BENCH_MEMORY_CAP_GB", default)) * GB


def _measured(
    label: str,
    cmd: list[str],
    log: Path,
    profile: Path | None = None,
    env: dict[str, str] | None = None,
    servers: Sequence[psutil.Process] = (),
) -> Measurement:
    m = run_measured(cmd, env={**_child_env(), **(env or {})}, log=log, memory_cap_mb=memory_cap_mb(), servers=servers)
    if m.memory_capped:
        print(
            f"  {label:<17} DID NOT FINISH: passed the {memory_cap_mb() / GB:.1f} GB memory cap after "
            f"{m.wall_s:.0f} s (PRA_BENCH_MEMORY_CAP_GB); see {log}",
            flush=True,
        )
        return m
    if m.returncode != 0 and profile is not None and profile.exists():
        # The run ended but a step failed (e.g. a publish gate): its timings still count, loudly flagged.
        failed = json.loads(profile.read_text())["failed_steps"]
        print(f"  WARNING: {label}: the Dagster run failed in step(s) {failed}; see {log}", flush=True)
    elif m.returncode != 0:
        raise BenchError(f"{label} failed with exit code {m.returncode}; see {log}")
    print(
        f"  {label:<17} wall {m.wall_s:8.2f} s  cpu {m.cpu_s:8.2f} s  peak {m.peak_rss_mb:8.0f} MB",
        flush=True,
    )
    return m


def _pipeline_cmd(ds: Dataset, warehouse: Path, first, last, profile: Path) -> list[str]:
    """The pipeline path's child: one Dagster run over [first, last] of the preset's landing files."""
    args = ("--landing", ds.landing, "--warehouse", warehouse, "--first", first, "--last", last)
    return _child("pipeline", *args, "--profile", profile)


def _floor_cmd(ds: Dataset, as_of, out: Path) -> list[str]:
    return _child("floor", "--landing", ds.landing, "--as-of", as_of, "--out", out)


def bench_preset(ds: Dataset, repeat: int, on_repetition=None) -> dict:
    """Run the four paths `repeat` times on one data set; agreement is checked on the first repetition.

    `on_repetition(summary)` receives the summary so far after every repetition (long presets keep
    their finished repetitions even when interrupted).
    """
    work = DATA_DIR / ds.preset / "runs"
    shutil.rmtree(work, ignore_errors=True)
    runs: dict[str, list[dict]] = {p: [] for p in PATHS}
    profiles: dict[str, list[dict]] = {"pipeline_full": [], "pipeline_nightly": []}
    differences: list[str] = []
    headlines: dict[str, dict] = {}
    fit: dict = {}
    nightly_changes: dict = {}
    for i in range(repeat):
        rep = work / f"rep{i + 1}"
        rep.mkdir(parents=True)
        print(f"[{ds.preset}] repetition {i + 1}/{repeat}", flush=True)
        floor_db, peer_dir, warehouse = rep / "floor.duckdb", rep / "peer", rep / "warehouse"
        m = {
            "floor": _measured("floor", _floor_cmd(ds, ds.full_as_of, floor_db), rep / "floor.log"),
            "peer": _measured(
                "peer",
                _child("peer_pandas", "--landing", ds.landing, "--as-of", ds.full_as_of, "--out", peer_dir),
                rep / "peer.log",
            ),
        }
        for path, first, last in (
            ("pipeline_full", ds.start, ds.full_as_of),
            ("pipeline_nightly", ds.nightly_first, ds.end),
        ):
            # Untimed: the dbt project may change between runs while others work in the tree; a stale
            # manifest fails the run (dbt builds a model Dagster does not know).
            build_manifest()
            if i == 0 and path == "pipeline_nightly":  # untimed: what the nightly will change (bench/changed_periods)
                before = changed_periods.file_fingerprints(warehouse / "work.duckdb", changed_periods.SCHEMAS)
            profile = rep / f"{path}_profile.json"
            m[path] = _measured(path, _pipeline_cmd(ds, warehouse, first, last, profile), rep / f"{path}.log", profile)
            profiles[path].append(json.loads(profile.read_text()))
            if m[path].memory_capped:
                raise BenchError(f"{path} passed the memory cap; see {rep / f'{path}.log'}")
            if i == 0 and path == "pipeline_full":
                reference = agreement.load_pipeline(warehouse / "work.duckdb")
                differences += agreement.compare(reference, agreement.load_floor(floor_db), "floor")
                if not m["peer"].memory_capped:  # a peer that did not finish has nothing to compare
                    differences += agreement.compare(reference, agreement.load_peer(peer_dir), "peer")
                headlines["full"] = agreement.headline(reference)
                fit = bench_predictive_fit(ds.preset, warehouse / "work.duckdb")
        if i == 0:
            nightly = agreement.load_pipeline(warehouse / "work.duckdb")
            nightly_floor_db = rep / "floor_nightly.duckdb"
            _measured("floor (as nightly)", _floor_cmd(ds, ds.end, nightly_floor_db), rep / "floor_nightly.log")
            differences += agreement.compare(
                agreement.load_floor(nightly_floor_db), nightly, "pipeline_nightly vs floor"
            )
            headlines["nightly"] = agreement.headline(nightly)
            nightly_changes = _nightly_changes(before, warehouse / "work.duckdb")
            status = "agree" if not differences else f"DISAGREE ({len(differences)} differences)"
            print(f"  agreement: {status}", flush=True)
            for d in differences:
                print(f"    {d}", flush=True)
        for path, measurement in m.items():
            runs[path].append(measurement.as_dict())
        shutil.rmtree(rep)
        if on_repetition is not None:
            on_repetition(summarise(ds, runs, profiles, differences, headlines, fit, nightly_changes))
    shutil.rmtree(work, ignore_errors=True)
    return summarise(ds, runs, profiles, differences, headlines, fit, nightly_changes)


def _nightly_changes(before: dict, work_db: Path) -> dict:
    """What the nightly run changed in the full run's warehouse (untimed; docs/benchmarks.md, "What a nightly run
    changes"): by schema, the share of the rows of its period models in changed periods, and every relation's changed
    periods."""
    changes = changed_periods.compare(before, changed_periods.file_fingerprints(work_db, changed_periods.SCHEMAS))
    totals = changed_periods.summary(changes)
    for schema, schema_totals in totals.items():
        print(f"  nightly changes: {changed_periods.summary_line(schema, schema_totals)}", flush=True)
    return {"by_schema": totals, "changed_periods": {c.relation: c.changed for c in changes if c.changed}}


def bench_predictive_fit(preset: str, work_db: Path) -> dict:
    """Time the fit and scoring alone on the full run's own summary (read-only), in a child process."""
    log = DATA_DIR / preset / "predictive_fit.log"
    m = _measured("predictive fit", _child("predictive_fit", "--warehouse", work_db), log)
    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    fit = json.loads(lines[-1]) if lines else None
    result = {**m.as_dict(), "fit": fit}
    if preset == "large":
        partners = f"{fit['partners']:,}" if fit else "the"
        result["targets"] = [
            {
                "target": f"fit of {partners} partners under {PREDICTIVE_FIT_TARGET_S} s",
                "value": round(m.wall_s, 1),
                "met": m.wall_s < PREDICTIVE_FIT_TARGET_S,
            },
            {
                "target": f"fit peak memory under {PREDICTIVE_FIT_TARGET_GB} GB",
                "value": round(m.peak_rss_mb / GB, 2),
                "met": m.peak_rss_mb < PREDICTIVE_FIT_TARGET_GB * GB,
            },
        ]
    return result


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def _median_profile(profiles: list[dict]) -> dict:
    """Median of every numeric field of the per-step pipeline profiles (and any failed steps)."""
    out: dict = {}
    failed = sorted({s for p in profiles for s in p.get("failed_steps", [])})
    if failed:
        out["failed_steps"] = failed
    keys = list(dict.fromkeys(k for p in profiles for k in p))
    for key in keys:
        values = [p[key] for p in profiles if key in p]
        if all(isinstance(v, dict) for v in values):
            out[key] = _median_profile(values)
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            out[key] = _median(values)
    return out


def summarise(
    ds: Dataset,
    runs: dict,
    profiles: dict,
    differences: list[str],
    headlines: dict,
    fit: dict | None = None,
    nightly_changes: dict | None = None,
) -> dict:
    """Medians, per-repetition ratios and targets of one preset, the predictive fit alone and what the nightly run
    changed (both of the first repetition)."""
    rows = {
        "floor": ds.transaction_rows["full"],
        "peer": ds.transaction_rows["full"],
        "pipeline_full": ds.transaction_rows["full"],
        "pipeline_nightly": ds.transaction_rows["nightly_window"],
    }
    paths = {}
    for path, measurements in runs.items():
        median = {k: _median([r[k] for r in measurements]) for k in ("wall_s", "cpu_s", "peak_rss_mb")}
        median["rows_per_s"] = round(rows[path] / median["wall_s"]) if median["wall_s"] else None
        paths[path] = {"input_rows": rows[path], "median": median, "runs": measurements}
        if any(r.get("memory_capped") for r in measurements):
            # Its wall time is when it was stopped: a lower bound, and every ratio with it is one too.
            paths[path]["did_not_finish"] = f"passed the {memory_cap_mb() / GB:.1f} GB memory cap"

    def ratio(num: str, den: str, metric: str = "wall_s") -> float:
        per_rep = [a[metric] / b[metric] for a, b in zip(runs[num], runs[den], strict=True) if b[metric]]
        return round(statistics.median(per_rep), 2)

    median_profiles = {path: _median_profile(p) for path, p in profiles.items()}
    ratios = {
        "pipeline_full / floor (wall)": ratio("pipeline_full", "floor"),
        "pipeline_full / floor (cpu)": ratio("pipeline_full", "floor", "cpu_s"),
        "pipeline_full / floor (peak memory)": ratio("pipeline_full", "floor", "peak_rss_mb"),
        "peer / pipeline_full (wall)": ratio("peer", "pipeline_full"),
        "pipeline_nightly / pipeline_full (wall)": ratio("pipeline_nightly", "pipeline_full"),
    }
    return {
        "data": {
            "landing": str(ds.landing),
            "start": ds.start.isoformat(),
            "full_as_of": ds.full_as_of.isoformat(),
            "nightly_window": [ds.nightly_first.isoformat(), ds.end.isoformat()],
            "transaction_rows": ds.transaction_rows,
        },
        "repeat": len(runs["floor"]),
        "paths": paths,
        "ratios": ratios,
        "agreement": {"agree": not differences, "differences": differences, "headline": headlines},
        "pipeline_profile": median_profiles,
        "targets": targets(ds.preset, paths, ratios, median_profiles),
        "predictive_fit": fit or {},
        "nightly_changes": nightly_changes or {},
    }


def targets(preset: str, paths: dict, ratios: dict, profiles: dict) -> list[dict]:
    """The targets that apply to this preset (docs/benchmarks.md, "Targets"), with the measured value and whether it
    is met; a value without a bound (`met` None) is only timed."""
    full = paths["pipeline_full"]["median"]
    nightly_share = ratios["pipeline_nightly / pipeline_full (wall)"]
    out = []
    if preset == "large":
        out += [
            {"target": "nightly under 10% of the full run", "value": nightly_share, "met": nightly_share < 0.10},
            {
                "target": "full run within 2.5x of the floor",
                "value": ratios["pipeline_full / floor (wall)"],
                "met": ratios["pipeline_full / floor (wall)"] <= 2.5,
            },
            {
                "target": "full run peak memory under 4 GB",
                "value": round(full["peak_rss_mb"] / GB, 2),
                "met": full["peak_rss_mb"] < 4 * GB,
            },
            {"target": "full run under 30 minutes", "value": full["wall_s"], "met": full["wall_s"] < 1800},
            {
                "target": "report generation timed (seconds, in the full run's publication)",
                "value": profiles["pipeline_full"].get("report_s"),
                "met": None,
            },
        ]
    if preset == "demo":
        peer = paths["peer"]["median"]["wall_s"]
        out += [
            {
                "target": "full run within 2x of the pandas peer",
                "value": round(full["wall_s"] / peer, 2) if peer else None,
                "met": bool(peer) and full["wall_s"] <= 2 * peer,
            },
            {"target": "nightly under 25% of the full run", "value": nightly_share, "met": nightly_share < 0.25},
            {"target": "full run under 60 s", "value": full["wall_s"], "met": full["wall_s"] < 60},
        ]
    if preset == "large":
        dnf = paths["peer"].get("did_not_finish")
        out.append(
            {
                "target": "faster than the pandas peer",
                "value": f"peer did not finish: {dnf}" if dnf else ratios["peer / pipeline_full (wall)"],
                "met": bool(dnf) or ratios["peer / pipeline_full (wall)"] > 1,
            }
        )
    return out


def machine() -> dict:
    """Cores, memory and CPU model of this machine, and how busy it was."""
    model = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    return {
        "logical_cores": psutil.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu_model": model,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def versions() -> dict:
    """Versions of the packages that do the work."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def table(results: dict) -> str:
    """The results as a markdown table (one row per preset and path)."""
    lines = [
        "| preset | path | wall s | CPU s | peak RSS MB | transaction rows/s | agree |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for preset, res in results["presets"].items():
        for path in PATHS:
            m = res["paths"][path]["median"]
            if res["paths"][path].get("did_not_finish"):
                lines.append(f"| {preset} | {path} | did not finish ({res['paths'][path]['did_not_finish']}) | | | | |")
                continue
            lines.append(
                f"| {preset} | {path} | {m['wall_s']:.1f} | {m['cpu_s']:.1f} | {m['peak_rss_mb']:.0f} | "
                f"{m['rows_per_s']:,} | {'yes' if res['agreement']['agree'] else 'NO'} |"
            )
        fit = res.get("predictive_fit") or {}
        if fit.get("fit"):
            lines.append(
                f"| {preset} | predictive fit alone ({fit['fit']['partners']:,} partners, run 1) | {fit['wall_s']:.1f} "
                f"| {fit['cpu_s']:.1f} | {fit['peak_rss_mb']:.0f} | | |"
            )
    lines += ["", "| preset | ratio (median of per-repetition ratios) | value |", "|---|---|---:|"]
    for preset, res in results["presets"].items():
        lines += [f"| {preset} | {name} | {value} |" for name, value in res["ratios"].items()]
    lines += ["", "| preset | target | value | met |", "|---|---|---:|---|"]
    for preset, res in results["presets"].items():
        fit_targets = (res.get("predictive_fit") or {}).get("targets", [])
        for t in [*res.get("targets", []), *fit_targets]:
            met = {True: "yes", False: "**no**", None: "(timed)"}[t["met"]]
            lines.append(f"| {preset} | {t['target']} | {t['value']} | {met} |")
    return "\n".join(lines)


def _save(results: dict, out_file: Path, preset: str, started: float, load_before: float, res: dict) -> None:
    """Record one preset's (possibly partial) summary and rewrite the results file atomically."""
    results["presets"][preset] = _stamped(res, started, load_before)
    _write(results, out_file)


def _stamped(res: dict, started: float, load_before: float) -> dict:
    """A summary with when it was measured and how busy the machine was before and after."""
    res["measured_at"] = datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds")
    res["load_average_1m"] = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    return res


def _write(results: dict, out_file: Path) -> None:
    """Rewrite the results file atomically."""
    RESULTS_DIR.mkdir(exist_ok=True)
    tmp = out_file.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    tmp.replace(out_file)


def _presets(value: str) -> list[str]:
    if value == "none":  # only the engines (--engines)
        return []
    names = list(PRESETS) if value == "all" else [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown preset(s) {unknown}; choose from {PRESETS}, all or none")
    return names


def _engines(value: str) -> list[str]:
    try:
        return engines.engines_arg(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def main(argv: list[str] | None = None) -> int:
    """CLI: `python -m bench.run [--preset small,demo] [--repeat 3]`."""
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    ap.add_argument(
        "--preset",
        type=_presets,
        default=["small", "demo"],
        help="small|demo|large|all|none or a comma list (default small,demo; none: only --engines)",
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs per path; the median is reported (default 3)")
    ap.add_argument(
        "--engines",
        type=_engines,
        default=[],
        help=f"also run the {engines.ENGINE_PRESET} preset's full run once on each of these dbt engines "
        f"({'|'.join(engines.ENGINES)}|all or a comma list; DuckDB, the reference, always runs with them)",
    )
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    today = datetime.now(UTC).date().isoformat()
    out_file = RESULTS_DIR / f"{today}.json"
    results = json.loads(out_file.read_text()) if out_file.exists() else {"presets": {}}
    results.update(date=today, machine=machine(), versions=versions())
    failed = False
    for preset in args.preset:
        ds = ensure(preset)
        save = functools.partial(_save, results, out_file, preset, time.time(), os.getloadavg()[0])
        res = bench_preset(ds, args.repeat, on_repetition=save)
        save(res)
        failed |= not res["agreement"]["agree"]
    if args.engines:
        ds = ensure(engines.ENGINE_PRESET)
        started, load_before = time.time(), os.getloadavg()[0]
        res = engines.bench_engines(ds, args.engines, _measured, functools.partial(_pipeline_cmd, ds))
        results["engines"] = _stamped(res, started, load_before)
        _write(results, out_file)
        failed |= not res["agreement"]["agree"]
        for d in res["agreement"]["differences"]:
            print(f"    {d}", flush=True)
    print()
    print(table(results))
    if args.engines:
        print()
        print(engines.table(results["engines"]))
    print(f"\nresults: {out_file}")
    if failed:
        print("the bench paths DISAGREE (see above): their timings do not compare the same work")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
