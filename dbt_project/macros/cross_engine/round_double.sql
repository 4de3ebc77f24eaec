{#- A double rounded to `digits` decimals the way DuckDB does it: the value times 10^digits rounded half away from
    zero, divided back. Spark's round() rounds the double's exact binary value instead, so about one amount in a
    hundred converted at a float fx rate would differ in its last decimal (docs/scale-out.md). -#}
{% macro round_double(expression, digits) -%}
    {{ return(adapter.dispatch('round_double', 'partner_retention')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_double(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro spark__round_double(expression, digits) -%}
    (round(({{ expression }}) * 1e{{ digits }}, 0) / 1e{{ digits }})
{%- endmacro %}
