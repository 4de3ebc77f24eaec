{#- One row per converted transaction in `relation` from the run's window's first partition on, and of the partners
    whose first snapshot the window brings (macro window_newcomers: their earlier rows are staged now): its partner,
    its period by revenue date, and a digest of all its columns (macro row_digest). Read before
    int_transactions_converted replaces its rows (model int_transactions_replaced) and after (model
    int_transactions_changed): the rows in one read and not the other are what the run changed. One `union all`
    branch per side of the window's first partition, each with its own partition bound: from it on, and before it
    the newcomers' rows (the `before` side of macro rows_rejudged_outside_window). One `or` of both made DuckDB test
    every row of the history against the newcomers. -#}
{% macro window_row_fingerprints(relation) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | sort if execute else [] %}
    {%- for rows in [
        "_partition_date >= cast('" ~ run_var('min_date') ~ "' as date)",
        rows_rejudged_outside_window('transactions')['before'],
    ] %}
    {{ 'union all' if not loop.first }}
    select
        partner_id,
        cast({{ period_trunc('revenue_date') }} as date) as month_start_date,
        {{ row_digest(columns) }} as row_fingerprint
    from {{ relation }}
    where {{ rows }}
    {%- endfor %}
{%- endmacro %}
