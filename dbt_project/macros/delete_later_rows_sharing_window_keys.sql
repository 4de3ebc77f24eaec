{#- Second pre-hook of the models incremental on landing partitions: remove the later rows that this run
    re-judges (macro later_rows_sharing_window_keys); they are inserted again with their new judgment. -#}
{% macro delete_later_rows_sharing_window_keys(entity='transactions') -%}
    {%- if is_incremental() and has_partition_window() -%}
        delete from {{ this }} where {{ later_rows_sharing_window_keys(entity) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
