-- The converted transactions a window run added, removed or changed, one row per changed row: its partner and its
-- period by revenue date. The window's rows before the run (model int_transactions_replaced) against the same rows
-- after it (macro window_row_fingerprints): a row in one read and not in the other is a fingerprint counted a
-- different number of times. The window's days delivered again row for row give no row. Built once per run and
-- read by the pre-hooks of the models incremental per changed period or partner (macros
-- delete_changed_partner_periods and delete_changed_partners); empty on a full build, which rebuilds them all.
{{ config(materialized='table') }}

{% if windowed_materialization() == 'incremental' and not flags.FULL_REFRESH %}
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
{% else %}
select
    cast(null as {{ dbt.type_string() }}) as partner_id,
    cast(null as date) as month_start_date
where 1 = 0
{% endif %}
