{#- ISO-8601 text with an offset -> UTC timestamp without time zone; null when unparseable. -#}
{% macro parse_timestamp_utc(column) -%}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'partner_retention')(column)) }}
{%- endmacro %}

{% macro default__parse_timestamp_utc(column) -%}
    cast(timezone('UTC', try_cast({{ column }} as timestamptz)) as timestamp)
{%- endmacro %}
