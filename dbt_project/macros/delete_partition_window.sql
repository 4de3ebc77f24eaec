{#- Pre-hook of incremental models: empty the run's whole partitions first, so rows that left a partition
    (a replaced file, a row now quarantined) leave the model too. A no-op on a full build. -#}
{% macro delete_partition_window() -%}
    {%- if is_incremental() and has_partition_window() -%}
        delete from {{ this }} where {{ partition_window_predicate() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
