{#- True when the text is an ISO 4217-shaped code: exactly three upper-case letters. -#}
{% macro is_currency_code(column) -%}
    {{ return(adapter.dispatch('is_currency_code', 'partner_retention')(column)) }}
{%- endmacro %}

{% macro default__is_currency_code(column) -%}
    regexp_full_match({{ column }}, '[A-Z]{3}')
{%- endmacro %}

{% macro postgres__is_currency_code(column) -%}
    ({{ column }} ~ '^[A-Z]{3}$')
{%- endmacro %}
