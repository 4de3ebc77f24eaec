-- Partner x period of sale: the sales of the period and how many of them (and how much of their amount) were
-- refunded by the as-of date, whenever the refund came. A sale's refunded amount is capped at the sale's amount,
-- so both refund rates stay in [0, 1] (docs/metrics.md "Traffic quality").
--
-- Incremental per changed partner in a window run: a row is keyed by its sales' period, and a refund dated in the
-- window can count in a sale's period of any age, so the pre-hook deletes all rows of the partners whose converted
-- transactions the run changed (macro delete_changed_partners) and the model computes the partners missing from its
-- table, each from its whole history. A nightly run recomputes the partners whose transactions it added or
-- changed (a new day's sales), not every partner.
-- depends_on: {{ ref('int_transactions_changed') }}
{{
    config(
        materialized=windowed_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_partners(as_of_dated=false) }}",
    )
}}
-- The transactions, a subquery that the sales and the refunds each read (not a CTE: docs/architecture.md,
-- "Large inputs read twice").
{%- set transactions %}
    (
        select transaction_id, partner_id, kind, refund_of, occurred_date, amount_reporting
        from {{ ref('int_transactions_converted') }}
        {% if is_incremental() %}
        where partner_id not in (select partner_id from {{ this }})
        {% endif %}
    )
{%- endset %}
with

sales as (
    select transaction_id, partner_id, occurred_date, amount_reporting
    from {{ transactions }} as transactions
    where kind = 'sale'
),

refunds as (
    select refund_of as transaction_id, sum(amount_reporting) as refunded_reporting
    from {{ transactions }} as transactions
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
