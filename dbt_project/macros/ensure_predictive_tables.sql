{#- The on-run-start hook create_predictive_tables as a command: `dbt run-operation ensure_predictive_tables` creates
    the predictive fit's tables where the target points (a hook's SQL is run by dbt; an operation's return value is
    not). The pipeline runs it on the work DuckDB file before the first push to another engine
    (orchestration/defs/transformation/assets.py). -#}
{% macro ensure_predictive_tables() -%}
    {%- set sql = create_predictive_tables() -%}
    {%- if sql | trim -%}
        {%- do run_query(sql) -%}
    {%- endif -%}
{%- endmacro %}
