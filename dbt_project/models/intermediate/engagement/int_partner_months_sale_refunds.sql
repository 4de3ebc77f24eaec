-- Partner x period of sale: the sales of the period and how many of them (and how much of their amount) were
-- refunded by the as-of date, whenever the refund came. A sale's refunded amount is capped at the sale's amount,
-- so both refund rates stay in [0, 1] (docs/metrics.md "Traffic quality").
with

transactions as (
    select * from {{ ref('int_transactions_converted') }}
),

sales as (
    select transaction_id, partner_id, occurred_date, amount_reporting
    from transactions
    where kind = 'sale'
),

refunds as (
    select refund_of as transaction_id, sum(amount_reporting) as refunded_reporting
    from transactions
    where kind = 'refund'
    group by refund_of
),

final as (
    select
        sales.partner_id,
        cast({{ period_trunc('sales.occurred_date') }} as date) as month_start_date,
        count(*) as sale_count,
        count(refunds.transaction_id) as refunded_sale_count,
        sum(sales.amount_reporting) as gross_sales_reporting,
        coalesce(
            sum(case
                when refunds.refunded_reporting > sales.amount_reporting then sales.amount_reporting
                else refunds.refunded_reporting
            end), 0
        ) as refunded_reporting
    from sales
    left join refunds on sales.transaction_id = refunds.transaction_id
    group by sales.partner_id, cast({{ period_trunc('sales.occurred_date') }} as date)
)

select * from final
