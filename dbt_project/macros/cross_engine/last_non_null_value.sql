{#- The last non-null value of `expression` in the window frame `window` (the text inside over (...)), as
    last_value(... ignore nulls). Spark takes "ignore nulls" as last_value's second argument. PostgreSQL has no
    ignore nulls: the frame's non-null values as an array, and the last of them (their count is its index; null
    when there are none). -#}
{% macro last_non_null_value(expression, window) -%}
    {{ return(adapter.dispatch('last_non_null_value', 'partner_retention')(expression, window)) }}
{%- endmacro %}

{% macro default__last_non_null_value(expression, window) -%}
    last_value({{ expression }} ignore nulls) over ({{ window }})
{%- endmacro %}

{% macro spark__last_non_null_value(expression, window) -%}
    last_value({{ expression }}, true) over ({{ window }})
{%- endmacro %}

{% macro postgres__last_non_null_value(expression, window) -%}
    (array_remove(array_agg({{ expression }}) over ({{ window }}), null))[count({{ expression }}) over ({{ window }})]
{%- endmacro %}
