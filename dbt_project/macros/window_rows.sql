{#- The rows an incremental transaction model rebuilds in a window run: the window's partitions, and the later
    rows sharing their keys (macro later_rows_sharing_window_keys). The model's pre-hooks delete the same rows. -#}
{% macro window_rows(relation, key) -%}
    select * from {{ relation }}
    where {{ partition_window_predicate() }}
    union all
    select * from {{ relation }}
    where {{ later_rows_sharing_window_keys(key) }}
{%- endmacro %}
