"""Volume rules on hand-made counts (orchestration/lib/volume.py): which snapshots and days a broken export shows."""

from datetime import date, timedelta

import duckdb

from orchestration.lib.contract import ENTITIES
from orchestration.lib.volume import (
    HISTORY_DAYS,
    MIN_HISTORY_DAYS,
    VolumeRules,
    check_name,
    judge_days,
    judge_entity,
    judge_snapshots,
)

RULES = VolumeRules(max_drop=0.2, max_growth=0.5, min_day_share=0.3, min_rows=50)
JAN, FEB, MAR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)


def days_from(first: date, counts: list[int]) -> dict[date, int]:
    return {first + timedelta(days=i): n for i, n in enumerate(counts)}


def test_a_snapshot_that_halves_fails_naming_the_file_and_both_counts():
    label = {MAR: "partners/dt=2025-03-01/partners.csv"}
    [finding] = judge_snapshots({JAN: 78, FEB: 80, MAR: 40}, [MAR], RULES, label)
    assert (finding.day, finding.rows) == (MAR, 40)
    assert finding.message == (
        "partners/dt=2025-03-01/partners.csv: 40 rows, previous snapshot dt=2025-02-01 had 80 (-50 %)"
    )


def test_snapshot_thresholds_are_inclusive_and_both_ways():
    # 80 -> 64 is exactly -20 %: allowed; 63 is not. 80 -> 120 is exactly +50 %: allowed; 121 is not.
    assert judge_snapshots({FEB: 80, MAR: 64}, [MAR], RULES, {}) == []
    assert [f.rows for f in judge_snapshots({FEB: 80, MAR: 63}, [MAR], RULES, {})] == [63]
    assert judge_snapshots({FEB: 80, MAR: 120}, [MAR], RULES, {}) == []
    [gain] = judge_snapshots({FEB: 80, MAR: 121}, [MAR], RULES, {})
    assert gain.message.endswith("had 80 (+51 %)")


def test_a_snapshot_missing_from_raw_counts_as_zero_and_small_or_first_snapshots_are_not_judged():
    # A header-only snapshot leaves no row in raw: judged as 0 rows.
    assert [f.message for f in judge_snapshots({FEB: 80}, [MAR], RULES, {})] == [
        "2025-03-01: 0 rows, previous snapshot dt=2025-02-01 had 80 (-100 %)"
    ]
    assert judge_snapshots({FEB: 49, MAR: 10}, [MAR], RULES, {}) == []  # previous below min_rows
    assert judge_snapshots({MAR: 10}, [MAR], RULES, {}) == []  # no previous snapshot


def test_a_collapsed_transactions_day_fails_against_the_median_of_recent_days():
    counts = days_from(JAN, [100] * 10 + [29])  # 10 normal days, then 29 rows: 29 % of the median
    last = JAN + timedelta(days=10)
    [finding] = judge_days(counts, [last], RULES, {last: "transactions/dt=2025-01-11/transactions.csv"})
    assert finding.message == (
        "transactions/dt=2025-01-11/transactions.csv: 29 rows, median of the previous 10 loaded days 100 (29 % of it)"
    )
    counts[last] = 30  # exactly 30 %: allowed
    assert judge_days(counts, [last], RULES, {}) == []


def test_days_need_enough_history_and_use_only_the_last_28_loaded_days():
    too_early = days_from(JAN, [100] * (MIN_HISTORY_DAYS - 1) + [0])
    assert judge_days(too_early, too_early, RULES, {}) == []  # 6 days of history: not judged
    enough = days_from(JAN, [100] * MIN_HISTORY_DAYS + [0])
    assert [f.rows for f in judge_days(enough, enough, RULES, {})] == [0]
    # 30 old days of 1,000 rows, then 28 days of 100: the old days fall out of the window, 40 rows is 40 %.
    counts = days_from(JAN, [1000] * 30 + [100] * HISTORY_DAYS + [40])
    last = max(counts)
    assert judge_days(counts, [last], RULES, {}) == []
    # A median under min_rows (a tiny program) is not judged, whatever the day brings.
    assert judge_days(days_from(JAN, [10] * 10 + [0]), [JAN + timedelta(days=10)], RULES, {}) == []


def test_judge_entity_on_raw_counts_and_an_accepted_change_is_remembered(tmp_path):
    partners = ENTITIES["partners"]
    assert check_name(partners) == "snapshot_volume"
    assert check_name(ENTITIES["transactions"]) == "daily_volume"
    assert check_name(ENTITIES["leads"]) is None
    landing = tmp_path / "landing"
    (landing / "partners" / "dt=2025-03-01").mkdir(parents=True)
    (landing / "partners" / "dt=2025-03-01" / "partners.csv").write_text("header\n")
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        "create table raw.partners as select * from (values (date '2025-02-01'), (date '2025-03-01')) "
        "t(_partition_date)"
    )
    con.execute("insert into raw.partners select date '2025-02-01' from range(79)")  # 80 on Feb 1, 1 on Mar 1
    verdict = judge_entity(con, partners, landing, MAR, MAR + timedelta(days=1), RULES)
    assert not verdict.passed
    assert verdict.description().startswith(
        "partners/dt=2025-03-01/partners.csv: 1 rows, previous snapshot dt=2025-02-01 had 80 (-99 %)."
    )
    accepted = judge_entity(con, partners, landing, MAR, MAR + timedelta(days=1), RULES, accept=True, run_id="r1")
    assert accepted.passed and [f.rows for f in accepted.accepted] == [1]
    again = judge_entity(con, partners, landing, MAR, MAR + timedelta(days=1), RULES)
    assert again.passed  # the same day with the same count was accepted before
    con.execute("insert into raw.partners values (date '2025-03-01')")  # a different export of that day: judged again
    assert not judge_entity(con, partners, landing, MAR, MAR + timedelta(days=1), RULES).passed
    # Judged from the window's first day on: a broken later day left in raw fails an earlier window too.
    assert not judge_entity(con, partners, landing, FEB, FEB + timedelta(days=1), RULES).passed
