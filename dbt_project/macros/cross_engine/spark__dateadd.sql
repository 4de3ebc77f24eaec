{#- dbt's dateadd on Spark (overrides dbt-spark's, which goes through unix seconds and local time): Spark's own
    timestampadd, as a timestamp without time zone like DuckDB's `date + interval` (a date input gives midnight). -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    cast(timestampadd({{ datepart }}, cast({{ interval }} as int), {{ from_date_or_timestamp }}) as timestamp_ntz)
{%- endmacro %}
