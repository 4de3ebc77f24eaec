{#- Half-open filter on whole landing partitions: [min_date, max_date) of the run's window. -#}
{% macro partition_window_predicate(column='_partition_date') -%}
    {{ column }} >= cast('{{ run_var("min_date") }}' as date)
    and {{ column }} < cast('{{ run_var("max_date") }}' as date)
{%- endmacro %}
