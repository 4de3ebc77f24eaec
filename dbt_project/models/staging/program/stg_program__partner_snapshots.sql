-- Valid partner snapshot rows: one row per partner per snapshot date. Contains personal data (email).
-- A view on the judged rows of base_program__partners (an incremental table), like
-- stg_program__transactions: always in step with the quarantine, and a run copies no table of them. A table on
-- Spark (macro view_materialization).
{{ config(materialized=view_materialization()) }}
with

base as (
    select * from {{ ref('base_program__partners') }}
    where rejection_reason is null
),

final as (
    select
        partner_id,
        snapshot_date,
        partner_name,
        email,
        signup_date,
        region,
        country,
        partner_type,
        ecosystem,
        parent_partner_id,
        account_manager,
        status,
        terminated_at,
        termination_reason,
        updated_at,
        _partition_date,
        _source_file,
        _source_row
    from base
)

select * from final
