{#- dbt's datediff on Spark (overrides dbt-spark's): boundaries crossed from the first to the second date or
    timestamp, a bigint, as DuckDB's date_diff counts them (2024-01-31 to 2024-02-01 is 1 month; 23:59:59 to
    00:00:00 is 1 day). Spark's timestampdiff counts whole units elapsed instead. -#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- set months = {'month': 1, 'quarter': 3, 'year': 12} -%}
    {%- set seconds = {'hour': 3600, 'minute': 60, 'second': 1} -%}
    {%- if datepart == 'day' -%}
        cast(datediff(cast({{ second_date }} as date), cast({{ first_date }} as date)) as bigint)
    {%- elif datepart in months -%}
        {%- set unit = months[datepart] -%}
        cast(floor((year({{ second_date }}) * 12 + month({{ second_date }}) - 1) / {{ unit }})
            - floor((year({{ first_date }}) * 12 + month({{ first_date }}) - 1) / {{ unit }}) as bigint)
    {%- elif datepart in seconds -%}
        {%- set unit = seconds[datepart] -%}
        cast(floor(unix_timestamp({{ second_date }}) / {{ unit }}) - floor(unix_timestamp({{ first_date }}) / {{ unit }}) as bigint)
    {%- else -%}
        {{ exceptions.raise_compiler_error("spark__datediff: datepart '" ~ datepart ~ "' is not supported") }}
    {%- endif -%}
{%- endmacro %}
