{#- The rows an incremental model on landing partitions rebuilds in a window run: the window's partitions, and
    the later rows sharing their entity's keys (macro later_rows_sharing_window_keys). The model's pre-hooks
    delete the same rows. `typed`: `relation` holds typed key columns (else the raw landing text). -#}
{% macro window_rows(relation, entity, typed) -%}
    select * from {{ relation }}
    where {{ partition_window_predicate() }}
    union all
    select * from {{ relation }}
    where {{ later_rows_sharing_window_keys(entity, typed) }}
{%- endmacro %}
