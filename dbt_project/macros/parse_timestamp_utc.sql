{#- ISO-8601 text with an offset -> UTC timestamp without time zone; null when unparseable. -#}
{% macro parse_timestamp_utc(column) -%}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'partner_retention')(column)) }}
{%- endmacro %}

{% macro default__parse_timestamp_utc(column) -%}
    cast(timezone('UTC', try_cast({{ column }} as timestamptz)) as timestamp)
{%- endmacro %}

{#- Spark: the text read as an instant (its offset honoured; none: the session's UTC), then as the UTC wall clock. -#}
{% macro spark__parse_timestamp_utc(column) -%}
    cast(try_cast({{ column }} as timestamp_ltz) as timestamp_ntz)
{%- endmacro %}
