"""The partitions every partitioned asset shares: one per UTC day of landing data."""

import dagster as dg

# Landing folders are UTC days (docs/data-contract.md); history before this date is loaded as one window.
PARTITIONS_START = "2020-01-01"

daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=0)
