{#- The materialization of the incremental models (those whose config names this macro; orchestration/lib/rejudge.py
    finds the judged base models among them the same way): incremental when the run passes a partition window
    (macro has_partition_window), else a table. On Spark always a table: Parquet tables support neither the
    pre-hooks' `delete` nor a delete+insert or merge strategy, and append alone would keep replaced rows; a full
    build gives the same rows (docs/scale-out.md, "Spark as the engine"). -#}
{% macro windowed_materialization() -%}
    {{ return(adapter.dispatch('windowed_materialization', 'partner_retention')()) }}
{%- endmacro %}

{% macro default__windowed_materialization() -%}
    {{ return('incremental' if has_partition_window() else 'table') }}
{%- endmacro %}

{% macro spark__windowed_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
