-- The periods of the program-level marts: from the first period with loaded transaction data to the as-of period.
-- Partner signups reach back years before the first transaction; those periods would be rows of zeros.
-- No transaction at all gives no rows.
with

months as (
    select * from {{ ref('int_months_spined') }}
),

revenue as (
    select * from {{ ref('int_partner_months_revenue') }}
),

first_period as (
    select min(month_start_date) as first_month_start_date
    from revenue
),

final as (
    select
        months.month_start_date,
        months.next_month_start_date
    from months
    inner join first_period on months.month_start_date >= first_period.first_month_start_date
)

select * from final
