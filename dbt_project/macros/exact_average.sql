{#- The average of `column` from an exact sum: each value rounded to `scale` decimals and summed as a decimal,
    then divided once. avg() of doubles sums in whatever order the engine's threads meet the rows, so its last
    bits can differ between two runs on the same data; this does not (docs/architecture.md, "Reproducible numbers"). -#}
{% macro exact_average(column, scale=10) -%}
    {{ safe_ratio('sum(cast(' ~ column ~ ' as decimal(38, ' ~ scale ~ ')))', 'count(' ~ column ~ ')') }}
{%- endmacro %}
