{#-
    A judged base model incremental on whole landing partitions, for an entity whose rows are judged against the
    history of their keys (all but the partner snapshots): its config, and its typed, judged rows as CTEs ending in
    `judged` (macro judge_rows). A window run parses and judges only its window's rows and the rows outside it that
    it judges again (macro rows_rejudged_outside_window), against the history already judged in the model's own
    table; the pre-hooks first delete the same rows. A full build, and every build on Spark (macro
    windowed_materialization), judges every raw row. Keyword arguments go to judge_rows (the judged partners and fx
    rates, the caller's later checks).
-#}
{% macro judge_landing_window(entity) -%}
    {{ config(
        materialized=windowed_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=landing_window_pre_hooks(entity),
    ) }}
    {{ judge_rows(
        entity,
        source_sql=(window_rows(source('program', entity), entity, typed=false) if is_incremental() else none),
        history=(this if is_incremental() else none),
        **kwargs
    ) }}
{%- endmacro %}
