-- Every traffic_daily row, typed and judged against the landing contract (macro judge_rows).
-- Incremental on whole landing partitions like base_program__transactions: a nightly run parses and judges only
-- its window's rows (and the rows outside it it judges again: macro rows_rejudged_outside_window), against the history already judged here.
{{
    config(
        materialized=windowed_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=["{{ delete_partition_window() }}", "{{ delete_rows_rejudged_outside_window('traffic_daily') }}"],
    )
}}
with

{{ judge_rows(
    'traffic_daily',
    source_sql=(window_rows(source('program', 'traffic_daily'), 'traffic_daily', typed=false) if is_incremental() else none),
    history=(this if is_incremental() else none),
    partners=ref('base_program__partners'),
) }}

select * from judged
