{#- A float expression rounded to `places` decimals (then cast to a decimal by the caller). PostgreSQL rounds to a
    number of places only a numeric: the float goes through numeric first. -#}
{% macro round_double(expression, places) -%}
    {{ return(adapter.dispatch('round_double', 'partner_retention')(expression, places)) }}
{%- endmacro %}

{% macro default__round_double(expression, places) -%}
    round({{ expression }}, {{ places }})
{%- endmacro %}

{% macro postgres__round_double(expression, places) -%}
    round(cast({{ expression }} as numeric), {{ places }})
{%- endmacro %}
