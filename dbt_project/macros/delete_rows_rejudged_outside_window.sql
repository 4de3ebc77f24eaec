{#- Second pre-hook of the models incremental on landing partitions: remove the rows outside the window that this
    run judges again (macro rows_rejudged_outside_window); they are inserted again with their new judgment. -#}
{% macro delete_rows_rejudged_outside_window(entity='transactions') -%}
    {%- if is_incremental() and has_partition_window() -%}
        delete from {{ this }} where {{ rows_rejudged_outside_window(entity) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
