{#- A rate that is null in the current partial period while var exclude_partial_period_from_rates is true. -#}
{% macro period_rate(numerator, denominator, partial_column='is_partial_period') -%}
    {%- if var('exclude_partial_period_from_rates') -%}
    case when {{ partial_column }} then null else {{ safe_ratio(numerator, denominator) }} end
    {%- else -%}
    {{ safe_ratio(numerator, denominator) }}
    {%- endif -%}
{%- endmacro %}
