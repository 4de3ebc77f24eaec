{#- True when the whole text matches the regular expression `pattern` (no anchors needed). -#}
{% macro matches_pattern(column, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern', 'partner_retention')(column, pattern)) }}
{%- endmacro %}

{% macro default__matches_pattern(column, pattern) -%}
    regexp_full_match({{ column }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__matches_pattern(column, pattern) -%}
    ({{ column }} ~ '^{{ pattern }}$')
{%- endmacro %}

{% macro spark__matches_pattern(column, pattern) -%}
    ({{ column }} rlike '^{{ pattern }}$')
{%- endmacro %}
