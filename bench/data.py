"""Bench data sets: the generator presets, generated once into bench/data/<preset>/landing and reused.

Each preset is generated with ONE EXTRA DAY: the full runs process the preset's days (as-of = the
day before the last), the nightly scenario then adds the last day on top of that history.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from demo import generator

DATA_DIR = Path(__file__).resolve().parent / "data"
LOOKBACK_DAYS = 35  # the nightly look-back window (PRA_LOOKBACK_DAYS default)


@dataclass(frozen=True)
class Dataset:
    """One cached preset and the dates the bench scenarios use."""

    preset: str
    landing: Path
    start: date
    end: date  # the extra day: the nightly run's as-of date
    transaction_rows: dict[str, int]  # landing transaction rows per scenario: full, nightly_window

    @property
    def full_as_of(self) -> date:
        """As-of date of the full runs: the preset's last day."""
        return self.end - timedelta(days=1)

    @property
    def nightly_first(self) -> date:
        """First day of the nightly run's look-back window (the window ends on `end`)."""
        return max(self.start, self.end - timedelta(days=LOOKBACK_DAYS - 1))


def _generator_args(preset: str) -> dict:
    p = generator.PRESETS[preset]
    return {
        "preset": preset,
        "days": p.days + 1,
        "generator_version": generator.GENERATOR_VERSION,
        "seed": 42,
    }


def _count_transactions(landing: Path, start: date, end: date, nightly_first: date) -> dict[str, int]:
    glob = str(landing / "transactions" / "dt=*" / "*.csv").replace("'", "''")
    with duckdb.connect() as con:
        full, window = con.execute(
            f"""
            select count(*) filter (where dt < ?), count(*) filter (where dt >= ?)
            from read_csv('{glob}', all_varchar = true, header = true,
                          hive_partitioning = true, hive_types = {{'dt': date}})
            """,
            [end, nightly_first],
        ).fetchone()
    return {"full": int(full), "nightly_window": int(window)}


def ensure(preset: str, log=print) -> Dataset:
    """The cached data set of `preset`, generated first when missing or made by another generator version."""
    root = DATA_DIR / preset
    landing = root / "landing"
    info_file = root / "bench_data.json"
    wanted = _generator_args(preset)
    info = json.loads(info_file.read_text()) if info_file.exists() else {}
    if info.get("args") != wanted or not (landing / "_manifest.json").exists():
        log(f"generating the '{preset}' preset ({wanted['days']} days) into {landing} ...")
        if root.exists():
            shutil.rmtree(root)
        manifest = generator.generate(landing, preset, days=wanted["days"], seed=wanted["seed"], force=True)
        start, end = date.fromisoformat(manifest["start"]), date.fromisoformat(manifest["end"])
        nightly_first = max(start, end - timedelta(days=LOOKBACK_DAYS - 1))
        info = {
            "args": wanted,
            "start": manifest["start"],
            "end": manifest["end"],
            "transaction_rows": _count_transactions(landing, start, end, nightly_first),
        }
        info_file.write_text(json.dumps(info, indent=2) + "\n")
    return Dataset(
        preset=preset,
        landing=landing,
        start=date.fromisoformat(info["start"]),
        end=date.fromisoformat(info["end"]),
        transaction_rows=info["transaction_rows"],
    )
