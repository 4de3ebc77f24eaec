{#- The materialization of the models that are incremental on whole landing partitions (base_program__transactions,
    base_program__traffic_daily,
    int_transactions_converted): incremental when the run passes a partition window (macro has_partition_window),
    else a table. On Spark always a table: Parquet tables support neither the pre-hooks' `delete` nor a
    delete+insert or merge strategy, and append alone would keep replaced rows; a full build gives the same rows
    (docs/scale-out.md, "Spark as the engine"). -#}
{% macro windowed_materialization() -%}
    {{ return(adapter.dispatch('windowed_materialization', 'partner_retention')()) }}
{%- endmacro %}

{% macro default__windowed_materialization() -%}
    {{ return('incremental' if has_partition_window() else 'table') }}
{%- endmacro %}

{% macro spark__windowed_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
