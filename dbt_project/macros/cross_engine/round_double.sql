{#- A double rounded to `places` decimals the way DuckDB does it: the value times 10^places rounded half away from
    zero, divided back (the caller then casts it to a decimal). Spark's round() rounds the double's exact binary
    value instead, so about one amount in a hundred converted at a float fx rate would differ in its last decimal;
    PostgreSQL rounds to places only a numeric, and its float-to-numeric cast keeps 15 digits, which rounds a product
    such as 18.0000 x 1.348325 (24.269849999999998 as a double) the other way than DuckDB (docs/scale-out.md). -#}
{% macro round_double(expression, places) -%}
    {{ return(adapter.dispatch('round_double', 'partner_retention')(expression, places)) }}
{%- endmacro %}

{% macro default__round_double(expression, places) -%}
    round({{ expression }}, {{ places }})
{%- endmacro %}

{% macro spark__round_double(expression, places) -%}
    (round(({{ expression }}) * 1e{{ places }}, 0) / 1e{{ places }})
{%- endmacro %}

{% macro postgres__round_double(expression, places) -%}
    (sign({{ expression }}) * floor(abs({{ expression }}) * {{ 10 ** places }} + 0.5) / {{ 10 ** places }})
{%- endmacro %}
