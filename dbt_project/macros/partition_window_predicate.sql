{#- Half-open filter on whole landing partitions: [min_date, max_date) of the run's window. -#}
{% macro partition_window_predicate(column='_partition_date') -%}
    {{ column }} >= cast('{{ var("min_date") }}' as date) and {{ column }} < cast('{{ var("max_date") }}' as date)
{%- endmacro %}
