{#- The converted transactions a window run added, removed or changed, as (partner_id, month_start_date by revenue
    date), one row per changed row: the window's rows before the run (model int_transactions_replaced) against the
    same rows after it (macro window_row_fingerprints). A row in one read and not in the other is a fingerprint
    counted a different number of times. The window's days delivered again row for row give no row. Read by the
    pre-hooks of the models incremental per changed partner or period (macros delete_changed_partner_periods and
    delete_changed_partners). -#}
{% macro changed_converted_rows() -%}
    select partner_id, month_start_date
    from (
        select partner_id, month_start_date, row_fingerprint, 1 as side
        from ({{ window_row_fingerprints(ref('int_transactions_converted')) }}) as after_run
        union all
        select partner_id, month_start_date, row_fingerprint, -1 as side
        from {{ ref('int_transactions_replaced') }}
    ) as both_reads
    group by partner_id, month_start_date, row_fingerprint
    having sum(side) <> 0
{%- endmacro %}
