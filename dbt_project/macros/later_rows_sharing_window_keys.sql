{#-
    Rows of partitions after the run's window whose transaction key also occurs in the window's raw rows.
    A window run re-judges them: a backfill of an older day may bring a key's first occurrence, which makes the
    later row a duplicate_key. Empty for a nightly run (no partition comes after its window). `key` is the
    caller's key expression (the raw text is trimmed before comparing).
-#}
{% macro later_rows_sharing_window_keys(key) -%}
    _partition_date >= cast('{{ run_var("max_date") }}' as date)
    and {{ key }} in (
        select trim(transaction_id) from {{ source('program', 'transactions') }}
        where {{ partition_window_predicate() }}
    )
{%- endmacro %}
