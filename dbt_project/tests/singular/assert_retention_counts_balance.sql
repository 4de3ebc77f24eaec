{{ config(meta={'dagster': {'ref': {'name': 'fct_retention_monthly'}}}) }}
-- Partner counts must reconcile in every month and dimension value, and in the dashboard's program KPIs:
-- S + N - churned + reactivated = E. Returns the rows where they do not.
select
    'retention' as mart,
    retention_id as row_id
from {{ ref('fct_retention_monthly') }}
where partners_start_count + partners_new_count - partners_churned_count + partners_reactivated_count
    <> partners_end_count

union all

select
    'program_kpis' as mart,
    {{ dbt.safe_cast('month_start_date', api.Column.translate_type('string')) }} as row_id
from {{ ref('fct_program_kpis_monthly') }}
where partners_start_count + new_partner_count - churned_partner_count + reactivated_partner_count
    <> partners_end_count
