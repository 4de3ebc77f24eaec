"""The partitions every partitioned asset shares: one per UTC day of landing data."""

from datetime import date

import dagster as dg


def build_daily_partitions(start: date) -> dg.DailyPartitionsDefinition:
    """Daily partitions from `start` (PRA_PARTITIONS_START) to yesterday; landing folders are UTC days."""
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), end_offset=0)
