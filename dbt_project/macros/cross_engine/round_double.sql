{#- A float expression rounded to `places` decimals, half away from zero, in floating point (the caller then casts
    it to a decimal). PostgreSQL rounds to places only a numeric, and its float-to-numeric cast keeps 15 digits,
    which rounds a product such as 18.0000 x 1.348325 (24.269849999999998 as a double) the other way than DuckDB:
    the PostgreSQL branch does DuckDB's float arithmetic itself. -#}
{% macro round_double(expression, places) -%}
    {{ return(adapter.dispatch('round_double', 'partner_retention')(expression, places)) }}
{%- endmacro %}

{% macro default__round_double(expression, places) -%}
    round({{ expression }}, {{ places }})
{%- endmacro %}

{% macro postgres__round_double(expression, places) -%}
    (sign({{ expression }}) * floor(abs({{ expression }}) * {{ 10 ** places }} + 0.5) / {{ 10 ** places }})
{%- endmacro %}
