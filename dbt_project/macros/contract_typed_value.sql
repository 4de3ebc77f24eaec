{#- A landing column's text as the staged value of its contract `type` (see landing_contract). -#}
{% macro contract_typed_value(column, type) -%}
    {%- if type == 'timestamp' -%} {{ parse_timestamp_utc(column) }}
    {%- elif type == 'date' -%} {{ parse_date(column) }}
    {%- elif type == 'number' -%} {{ parse_number(column) }}
    {%- elif type == 'integer' -%} {{ parse_integer(column) }}
    {%- elif type == 'double' -%} {{ parse_double(column) }}
    {%- elif type in ('upper', 'currency') -%} nullif(upper(trim({{ column }})), '')
    {%- elif type == 'lower' -%} nullif(lower(trim({{ column }})), '')
    {%- elif type == 'text' -%} nullif(trim({{ column }}), '')
    {%- else -%} {{ exceptions.raise_compiler_error("unknown contract type '" ~ type ~ "' for " ~ column) }}
    {%- endif -%}
{%- endmacro %}
