{#- The rows an incremental model on landing partitions rebuilds in a window run: the window's partitions, and
    the rows outside them the run judges again (macro rows_rejudged_outside_window), one `union all` branch per
    side of the window. The model's pre-hooks delete the same rows. `typed`: `relation` holds typed columns (else
    the raw landing text). -#}
{% macro window_rows(relation, entity, typed) -%}
    select * from {{ relation }}
    where {{ partition_window_predicate() }}
    {%- for side, filter in rows_rejudged_outside_window(entity, typed) | dictsort %}
    union all
    select * from {{ relation }}
    where {{ filter }}
    {%- endfor %}
{%- endmacro %}
