{#- True when the run passes a partition window (min_date and max_date vars): incremental models then
    replace only the rows of those whole partitions. Without the vars they rebuild as a table. -#}
{% macro has_partition_window() -%}
    {{- return(var('min_date', none) is not none and var('max_date', none) is not none) -}}
{%- endmacro %}
