{#- True when the run passes a partition window (min_date and max_date, macro run_var): incremental models then
    replace only the rows of those whole partitions. Without one they rebuild as a table.
    While parsing (config `materialized`), the window itself is not known yet: a Dagster run says it will pass
    one with PRA_DBT_PARTITIONED=true, a value that stays the same from run to run, so the parse is kept. -#}
{% macro has_partition_window() -%}
    {%- if execute -%}
        {{- return(run_var('min_date') is not none and run_var('max_date') is not none) -}}
    {%- else -%}
        {{- return(var('min_date', none) is not none or env_var('PRA_DBT_PARTITIONED', '') == 'true') -}}
    {%- endif -%}
{%- endmacro %}
