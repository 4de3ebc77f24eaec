-- Every partners row, typed and judged against the landing contract (macro judge_rows).
-- Incremental on whole landing partitions like base_program__transactions: a nightly run parses and judges only
-- its window's snapshots. A partner id is unique within one snapshot and repeats in every other, so a snapshot is
-- judged on its own rows alone: no history to rank against, and no later snapshot to judge again (macro
-- rows_rejudged_outside_window is empty for snapshot entities).
{{
    config(
        materialized=windowed_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_partition_window() }}",
    )
}}
with

{{ judge_rows(
    'partners',
    source_sql=(window_rows(source('program', 'partners'), 'partners', typed=false) if is_incremental() else none),
) }}

select * from judged
