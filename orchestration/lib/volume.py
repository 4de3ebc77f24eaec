"""Volume checks on raw landing data: a broken export stops the run before anything is built (no Dagster).

A full snapshot entity (partners) that loses or gains a large share of its rows against the previous snapshot,
or a required daily entity (transactions) whose day collapses against the median of its recent days, is almost
always a broken export. The ingestion step judges the loaded data with these rules and reports the result as a
blocking asset check (orchestration/defs/ingestion/assets.py), so nothing is built or published from it.

What is judged: every day of the entity from the run's first day on, both the run's window and any later day
already in raw (a failed earlier run may have left a broken day there, and dbt builds from all of raw). A real
mass change is accepted per run (`pra run --accept-mass-change`); the accepted day and row count are recorded
in `ingestion.accepted_volume_changes`, so later runs whose window still covers that day pass it, until its row
count changes again.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from orchestration.lib.contract import Entity
from orchestration.lib.ingestion import partition_folders
from orchestration.lib.settings import Settings

# A day is compared with the median of this many previous loaded days, once at least MIN_HISTORY_DAYS exist.
HISTORY_DAYS = 28
MIN_HISTORY_DAYS = 7
ACCEPTED_TABLE = "ingestion.accepted_volume_changes"


@dataclass(frozen=True)
class VolumeRules:
    """Thresholds of the volume checks (PRA_VOLUME_* settings; docs/operations.md "Settings")."""

    max_drop: float = 0.2  # a snapshot may lose at most this share of the previous snapshot's rows
    max_growth: float = 0.5  # ... and gain at most this share
    min_day_share: float = 0.3  # a day must reach this share of the median of its previous days
    min_rows: int = 50  # baselines below this (previous snapshot, median day) are too small to judge

    @classmethod
    def from_settings(cls, settings: Settings) -> VolumeRules:
        """The thresholds from the parsed settings."""
        return cls(
            max_drop=settings.volume_max_drop,
            max_growth=settings.volume_max_growth,
            min_day_share=settings.volume_min_day_share,
            min_rows=settings.volume_min_rows,
        )


@dataclass(frozen=True)
class Finding:
    """One judged day that broke a rule: its row count and the sentence that says why."""

    day: date
    rows: int
    message: str


def volume_rule(entity: Entity) -> str | None:
    """Which rule judges an entity: `snapshot` (full snapshots), `daily` (required daily files) or None."""
    if entity.snapshot:
        return "snapshot"
    if entity.required:
        return "daily"
    return None


def check_name(entity: Entity) -> str | None:
    """The name of the entity's blocking volume check (None: the entity has no volume rule)."""
    rule = volume_rule(entity)
    return f"{rule}_volume" if rule else None


def _pct(new: int, old: float) -> str:
    return f"{(new - old) / old:+.0%}".replace("%", " %")


def judge_snapshots(
    counts: Mapping[date, int], judged: Iterable[date], rules: VolumeRules, label: Mapping[date, str]
) -> list[Finding]:
    """Snapshots (rows by day) that lost more than `max_drop` or gained more than `max_growth` of the previous one."""
    days = sorted(counts)
    out = []
    for day in sorted(set(judged)):
        earlier = [d for d in days if d < day]
        if not earlier:
            continue
        previous = earlier[-1]
        old, new = counts[previous], counts.get(day, 0)
        if old < rules.min_rows:
            continue
        if new < old * (1 - rules.max_drop) or new > old * (1 + rules.max_growth):
            out.append(
                Finding(
                    day,
                    new,
                    f"{label.get(day, day.isoformat())}: {new} rows, previous snapshot dt={previous} "
                    f"had {old} ({_pct(new, old)})",
                )
            )
    return out


def judge_days(
    counts: Mapping[date, int], judged: Iterable[date], rules: VolumeRules, label: Mapping[date, str]
) -> list[Finding]:
    """Days whose rows fall below `min_day_share` of the median of the previous HISTORY_DAYS loaded days."""
    loaded = sorted(d for d, n in counts.items() if n > 0)
    out = []
    for day in sorted(set(judged)):
        history = [counts[d] for d in loaded if d < day][-HISTORY_DAYS:]
        if len(history) < MIN_HISTORY_DAYS:
            continue  # too little history to know what a normal day looks like
        median = statistics.median(history)
        new = counts.get(day, 0)
        if median < rules.min_rows:
            continue
        if new < rules.min_day_share * median:
            out.append(
                Finding(
                    day,
                    new,
                    f"{label.get(day, day.isoformat())}: {new} rows, median of the previous {len(history)} "
                    f"loaded days {median:g} ({new / median:.0%} of it)".replace("%", " %"),
                )
            )
    return out


@dataclass(frozen=True)
class Verdict:
    """The outcome of one entity's volume check: what failed, what an override accepted, how many days judged."""

    entity: str
    judged_days: int
    failed: list[Finding]
    accepted: list[Finding]

    @property
    def passed(self) -> bool:
        """No finding left that nobody accepted."""
        return not self.failed

    def description(self) -> str:
        """One paragraph for the check result (and so for the failure alert)."""
        if self.failed:
            return (
                "; ".join(f.message for f in self.failed)
                + ". A broken export? Fix the file(s) and rerun; a real mass change: rerun with "
                "`pra run --accept-mass-change` (docs/operations.md)."
            )
        text = f"{self.judged_days} day(s) of {self.entity} judged, none broke the volume rules"
        if self.accepted:
            text += "; accepted mass change(s): " + "; ".join(f.message for f in self.accepted)
        return text


def _labels(landing_dir: Path, entity: Entity, days: Iterable[date]) -> dict[date, str]:
    """`<entity>/dt=<day>/<file>[, <file>]` for each day, as the operator finds it in the landing folder."""
    out = {}
    for day in days:
        folder = landing_dir / entity.name / f"dt={day.isoformat()}"
        files = sorted(p.name for p in folder.glob("*") if p.suffix in (".csv", ".parquet")) if folder.is_dir() else []
        prefix = f"{entity.name}/dt={day.isoformat()}/"
        out[day] = ", ".join(prefix + f for f in files) if files else prefix
    return out


def ensure_accepted_table(con: duckdb.DuckDBPyConnection) -> None:
    """The ledger of mass changes an operator accepted (entity, day, row count)."""
    con.execute("create schema if not exists ingestion")
    con.execute(
        f"create table if not exists {ACCEPTED_TABLE} (entity varchar, partition_date date, row_count bigint, "
        "message varchar, run_id varchar, accepted_at timestamptz default current_timestamp)"
    )


def judge_entity(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    landing_dir: Path,
    start: date,
    end: date,
    rules: VolumeRules,
    *,
    accept: bool = False,
    run_id: str = "",
) -> Verdict:
    """Judge raw.<entity> (already loaded for [start, end)) from `start` on; `accept` records the failures instead."""
    rule = volume_rule(entity)
    if rule is None:
        raise ValueError(f"entity {entity.name!r} has no volume rule")
    counts = dict(
        con.execute(f"select _partition_date, count(*) from raw.{entity.name} group by 1").fetchall()  # noqa: S608
    )
    # Window days with a folder but no row (a header-only file) count as zero; later days come from raw.
    judged = set(partition_folders(landing_dir, entity, start, end)) | {d for d in counts if d >= start}
    judge = judge_snapshots if rule == "snapshot" else judge_days
    findings = judge(counts, judged, rules, _labels(landing_dir, entity, judged))
    ensure_accepted_table(con)
    known = set(
        con.execute(
            f"select partition_date, row_count from {ACCEPTED_TABLE} where entity = ?", [entity.name]
        ).fetchall()
    )
    earlier = [f for f in findings if (f.day, f.rows) in known]
    new = [f for f in findings if (f.day, f.rows) not in known]
    if accept and new:
        con.executemany(
            f"insert into {ACCEPTED_TABLE} (entity, partition_date, row_count, message, run_id) values (?, ?, ?, ?, ?)",
            [[entity.name, f.day, f.rows, f.message, run_id] for f in new],
        )
        earlier, new = earlier + new, []
    return Verdict(entity=entity.name, judged_days=len(judged), failed=new, accepted=earlier)
