{#- The pre-hooks of the models incremental on landing partitions that judge rows again (the judged base models
    but the partner snapshots', and int_transactions_converted): delete the window's partitions, then the rows
    outside the window that this run judges again (macro rows_rejudged_outside_window), one statement per side of
    the window, `after` or `before`; all are inserted again with their new judgment. -#}
{% macro landing_window_pre_hooks(entity) -%}
    {{ return([
        "{{ delete_partition_window() }}",
        "{{ delete_rows_rejudged_outside_window('" ~ entity ~ "', 'after') }}",
        "{{ delete_rows_rejudged_outside_window('" ~ entity ~ "', 'before') }}",
    ]) }}
{%- endmacro %}

{% macro delete_rows_rejudged_outside_window(entity, side) -%}
    {%- set filter = rows_rejudged_outside_window(entity).get(side) if is_incremental() and has_partition_window() -%}
    {%- if filter -%}
        delete from {{ this }} where {{ filter }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
