-- Valid leads; timestamps in UTC.
-- A view on the judged rows of base_program__leads (an incremental table), like stg_program__transactions: always
-- in step with the quarantine, and a run copies no table of all leads.
{{ config(materialized='view') }}
with

base as (
    select * from {{ ref('base_program__leads') }}
    where rejection_reason is null
),

final as (
    select
        lead_id,
        partner_id,
        created_at,
        converted_at,
        status,
        status = 'converted' as is_converted,
        _partition_date,
        _source_file,
        _source_row
    from base
)

select * from final
