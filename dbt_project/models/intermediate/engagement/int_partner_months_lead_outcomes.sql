-- Partner x period of lead creation: how the leads created in the period stand as of the data extract
-- (converted, open, lost). Leads converted per conversion period live in int_partner_months_aggregated.
with

leads as (
    select * from {{ ref('stg_program__leads') }}
),

final as (
    select
        partner_id,
        cast({{ period_trunc('created_at') }} as date) as month_start_date,
        count(*) as leads_created,
        count(case when status = 'converted' then 1 end) as created_converted_count,
        count(case when status = 'open' then 1 end) as created_open_count,
        count(case when status = 'lost' then 1 end) as created_lost_count
    from leads
    group by partner_id, cast({{ period_trunc('created_at') }} as date)
)

select * from final
