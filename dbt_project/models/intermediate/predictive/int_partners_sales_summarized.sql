-- Per partner with a sale, the inputs of the predictive models (orchestration/lib/predictive.py; docs/metrics.md
-- "Predictive partner health") as of as_of_date: a sale day is a day with at least one sale; frequency = sale days
-- after the first, recency = weeks from the first to the last sale day, T = weeks from the first sale day to
-- as_of_date; a sale day's net value = its sales less their refunds made up to as_of_date (reporting currency);
-- the average is over the repeat sale days with a positive net value (Gamma-Gamma needs positive values).
--
-- Incremental per changed partner in a window run: the pre-hook deletes the partners whose transactions up to the
-- as-of date the run may have changed (macro delete_changed_partners), the model computes the partners missing from
-- its table, and the post-hook moves the kept rows to the run's as-of date (t_weeks, the only column that follows
-- from it alone; macro update_as_of_date). A nightly run recomputes the partners whose transactions it added or
-- changed, not every partner's whole history. Measured on 100,000 partners (docs/benchmarks.md).
-- depends_on: {{ ref('int_transactions_changed') }}
{{
    config(
        materialized=windowed_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_partners(as_of_dated=true) }}",
        post_hook="{{ update_as_of_date({'t_weeks': weeks_between('first_sale_date', as_of_date())}) }}",
    )
}}
-- The transactions, a subquery that the sales and the refunds each read (not a CTE: docs/architecture.md,
-- "Large inputs read twice").
{%- set transactions %}
    (
        select transaction_id, partner_id, kind, refund_of, occurred_date, amount_reporting
        from {{ ref('int_transactions_converted') }}
        where occurred_date <= {{ as_of_date() }}
        {% if is_incremental() %}
            and partner_id not in (select partner_id from {{ this }})
        {% endif %}
    )
{%- endset %}
with

sales as (
    select
        transaction_id,
        partner_id,
        occurred_date as sale_date,
        amount_reporting
    from {{ transactions }} as transactions
    where kind = 'sale'
),

refunds as (
    select
        refund_of as transaction_id,
        sum(amount_reporting) as refunded_reporting
    from {{ transactions }} as transactions
    where kind = 'refund'
    group by refund_of
),

sale_days as (
    select
        sales.partner_id,
        sales.sale_date,
        sum(sales.amount_reporting - coalesce(refunds.refunded_reporting, 0)) as net_value_reporting
    from sales
    left join refunds
        on sales.transaction_id = refunds.transaction_id
    group by sales.partner_id, sales.sale_date
),

with_first as (
    select
        *,
        min(sale_date) over (partition by partner_id) as first_sale_date
    from sale_days
),

final as (
    select
        partner_id,
        {{ as_of_date() }} as as_of_date,
        min(sale_date) as first_sale_date,
        max(sale_date) as last_sale_date,
        cast(count(*) - 1 as integer) as frequency,
        {{ weeks_between('min(sale_date)', 'max(sale_date)') }} as recency_weeks,
        {{ weeks_between('min(sale_date)', as_of_date()) }} as t_weeks,
        cast(
            sum(case when sale_date > first_sale_date and net_value_reporting > 0 then 1 else 0 end) as integer
        ) as positive_repeat_days_count,
        -- From the exact decimal sum at the money's own scale (macro exact_average), not avg() of doubles, whose last
        -- bits depend on the order the engine adds them: the fit's parameters follow those bits.
        coalesce(
            {{ exact_average('case when sale_date > first_sale_date and net_value_reporting > 0 then net_value_reporting end', 4) }},
            0
        ) as avg_repeat_net_value_reporting
    from with_first
    group by partner_id
)

select * from final
