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

{#- ISO-8601 shapes only (date, optional time and offset): PostgreSQL's timestamp input also reads words ('now'),
    zone names and day-first orders, which DuckDB rejects. -#}
{% macro postgres__parse_timestamp_utc(column) -%}
    case
        when trim({{ column }}) ~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$'
            then {{ target.schema }}.pra_try_timestamp_utc(trim({{ column }}))
    end
{%- endmacro %}
