-- Every partner x every month from its first month (signup or first revenue) to the as-of month.
with

partners as (
    select * from {{ ref('int_partners_latest') }}
),

transactions as (
    select * from {{ ref('int_transactions_converted') }}
),

months as (
    select * from {{ ref('int_months_spined') }}
),

first_revenue as (
    select partner_id, min(revenue_month_start_date) as first_revenue_month_start_date
    from transactions
    group by partner_id
),

starts as (
    select
        partners.partner_id,
        partners.signup_date,
        case
            when first_revenue.first_revenue_month_start_date is null
                or first_revenue.first_revenue_month_start_date > {{ dbt.date_trunc('month', 'partners.signup_date') }}
                then {{ dbt.date_trunc('month', 'partners.signup_date') }}
            else first_revenue.first_revenue_month_start_date
        end as first_month_start_date
    from partners
    left join first_revenue on partners.partner_id = first_revenue.partner_id
),

final as (
    select
        starts.partner_id,
        months.month_start_date,
        months.next_month_start_date,
        starts.signup_date,
        starts.first_month_start_date
    from starts
    inner join months on months.month_start_date >= starts.first_month_start_date
)

select * from final
