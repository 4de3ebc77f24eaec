{{ config(meta={'dagster': {'ref': {'name': 'fct_retention_monthly'}}}) }}
-- The seed formula (E - N) / S and the set CRR |S and E| / S differ exactly by new partners who left within
-- the period and partners reactivated from outside S who are still in the base. Returns months where not.
with

classified as (
    select * from {{ ref('int_partner_months_classified') }}
),

program as (
    select * from {{ ref('fct_retention_monthly') }}
    where dimension_name = 'program'
),

edges as (
    select
        month_start_date,
        sum(case when is_new and not is_in_base_at_end then 1 else 0 end) as new_left_count,
        sum(case when is_reactivated and not is_in_base_at_start and is_in_base_at_end then 1 else 0 end)
            as reactivated_staying_count
    from classified
    group by month_start_date
)

select program.*
from program
inner join edges on program.month_start_date = edges.month_start_date
where program.partners_end_count - program.partners_new_count - program.partners_retained_count
    <> edges.reactivated_staying_count - edges.new_left_count
