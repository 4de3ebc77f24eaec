-- The periods of the program-level marts: from the first period with loaded transaction data to the as-of period.
-- Partner signups reach back years before the first transaction; those periods would be rows of zeros.
-- No transaction at all gives no rows.
with

months as (
    select * from {{ ref('int_months_spined') }}
),

transactions as (
    select * from {{ ref('int_transactions_converted') }}
),

first_period as (
    select min({{ period_trunc('revenue_date') }}) as first_month_start_date
    from transactions
),

final as (
    select
        months.month_start_date,
        months.next_month_start_date
    from months
    inner join first_period on months.month_start_date >= first_period.first_month_start_date
)

select * from final
