{{ config(meta={'dagster': {'ref': {'name': 'fct_program_kpis_monthly'}}}) }}
-- The dashboard's revenue and active partners must equal the partner-period facts they summarise, in every
-- period from the first with transaction data (and no other). Returns periods where they differ.
with

kpis as (
    select * from {{ ref('fct_program_kpis_monthly') }}
),

program_months as (
    select * from {{ ref('int_program_months_spined') }}
),

facts as (
    select
        partner_months.month_start_date,
        sum(partner_months.net_revenue_reporting) as net_revenue_reporting,
        sum(case when partner_months.is_active then 1 else 0 end) as active_partner_count
    from {{ ref('fct_partner_monthly') }} as partner_months
    inner join program_months on partner_months.month_start_date = program_months.month_start_date
    group by partner_months.month_start_date
)

select kpis.month_start_date
from kpis
full outer join facts on kpis.month_start_date = facts.month_start_date
where kpis.month_start_date is null
    or facts.month_start_date is null
    or abs(kpis.net_revenue_reporting - facts.net_revenue_reporting) > 0.0001
    or kpis.active_partner_count <> facts.active_partner_count
