{#- Numeric text -> decimal(18, 4); null when unparseable. -#}
{% macro parse_number(column) -%}
    {{ return(adapter.dispatch('parse_number', 'partner_retention')(column)) }}
{%- endmacro %}

{% macro default__parse_number(column) -%}
    try_cast({{ column }} as decimal(18, 4))
{%- endmacro %}

{#- Decimal text only: PostgreSQL's numeric input also reads 'NaN' and 'Infinity', DuckDB's decimal does not. The
    outer cast keeps the precision and scale, which a function's result loses. -#}
{% macro postgres__parse_number(column) -%}
    cast(
        case
            when trim({{ column }}) ~ '^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$'
                then {{ target.schema }}.pra_try_decimal_18_4(trim({{ column }}))
        end
        as numeric(18, 4)
    )
{%- endmacro %}
