{#- A value of the run, not of the project: the partition window (min_date, max_date) and as_of_date.
    A `--vars` value wins (ad-hoc runs, unit tests). A Dagster run passes them as environment variables
    PRA_DBT_<NAME> (orchestration/lib/dbt_args.py::window_env), read only while executing: dbt then parses the
    project once per warehouse and keeps it (partial parsing), where changing `--vars` would re-parse all of it
    on every run. While parsing, the value is none. -#}
{% macro run_var(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none and execute -%}
        {%- set value = env_var('PRA_DBT_' ~ (name | upper), '') or none -%}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}
