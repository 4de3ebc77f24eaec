{#- dbt's date_trunc on Spark: a timestamp without time zone, as DuckDB's date_trunc returns for a date or a
    timestamp (Spark's date_trunc gives a session-time-zone timestamp). -#}
{% macro spark__date_trunc(datepart, date) -%}
    cast(date_trunc('{{ datepart }}', {{ date }}) as timestamp_ntz)
{%- endmacro %}
