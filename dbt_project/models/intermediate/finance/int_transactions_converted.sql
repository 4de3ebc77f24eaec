-- Transactions in the reporting currency at the transaction-date rate, signed, dated by the refund policy.
-- Incremental on whole landing partitions like base_program__transactions, whose judgments it follows: the
-- window's rows and the rows outside it that base model judges again are replaced (macro
-- rows_rejudged_outside_window; fx drift: weekly full rebuild).
-- Runs after int_transactions_replaced, which notes the periods of the rows it is about to replace.
-- depends_on: {{ ref('int_transactions_replaced') }}
-- The partners whose first snapshot the window brings (macro window_newcomers).
-- depends_on: {{ ref('base_program__partners') }}
{{
    config(
        materialized=windowed_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=landing_window_pre_hooks('transactions'),
    )
}}
-- The rows converted: the window's in a window run (a CTE), in a full build the valid transactions' view itself,
-- which the sales, the early rates and the conversion each read (not a CTE: docs/architecture.md, "Large inputs
-- read twice").
{%- set transactions = 'transactions' if is_incremental() else ref('stg_program__transactions') %}
with

{% if is_incremental() %}
transactions as (
    {{ window_rows(ref('stg_program__transactions'), 'transactions', typed=true) }}
),
{% endif %}

daily_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

-- Only the sales that the rows being converted refund: a nightly window then joins a few rows, not 50M.
sales as (
    select transaction_id, occurred_date from {{ ref('stg_program__transactions') }}
    where kind = 'sale' and transaction_id in (select refund_of from {{ transactions }})
),

-- Days outside the daily rates (before history_start_date): the range lookup, on those few rows only. An
-- equality join for the rest; a range join compared every transaction with every rate of its currency.
early_rates as (
    select transactions.transaction_id, rates.rate_to_reporting
    from {{ transactions }} as transactions
    inner join rates
        on transactions.currency = rates.currency
        and transactions.occurred_date >= rates.valid_from_date
        and transactions.occurred_date < rates.valid_to_date
    where transactions.occurred_date < cast('{{ var("history_start_date") }}' as date)
),

converted as (
    select
        transactions.transaction_id,
        transactions.partner_id,
        transactions.customer_id,
        transactions.kind,
        transactions.occurred_at,
        transactions.occurred_date,
        transactions.refund_of,
        transactions.product,
        transactions._partition_date,
        transactions.currency as original_currency,
        transactions.amount as amount_original,
        transactions.commission_amount as commission_original,
        case
            when transactions.currency = '{{ var("reporting_currency") }}' then 1
            else coalesce(daily_rates.rate_to_reporting, early_rates.rate_to_reporting)
        end as fx_rate,
        {% if var('refund_policy') == 'sale_period' %}
        case when transactions.kind = 'refund' then sales.occurred_date else transactions.occurred_date end
        {% else %}
        transactions.occurred_date
        {% endif %} as revenue_date
    from {{ transactions }} as transactions
    left join daily_rates
        on transactions.currency = daily_rates.currency
        and transactions.occurred_date = daily_rates.rate_day
    left join early_rates
        on transactions.transaction_id = early_rates.transaction_id
    left join sales
        on transactions.refund_of = sales.transaction_id
),

final as (
    select
        transaction_id,
        partner_id,
        customer_id,
        kind,
        occurred_at,
        occurred_date,
        revenue_date,
        {{ dbt.date_trunc('month', 'revenue_date') }} as revenue_month_start_date,
        refund_of,
        product,
        original_currency,
        amount_original,
        commission_original,
        fx_rate,
        cast({{ round_double('amount_original * fx_rate', 4) }} as decimal(18, 4)) as amount_reporting,
        cast({{ round_double('commission_original * fx_rate', 4) }} as decimal(18, 4)) as commission_reporting,
        cast(
            {{ round_double("case when kind = 'refund' then -amount_original else amount_original end * fx_rate", 4) }}
            as decimal(18, 4)
        ) as net_amount_reporting,
        cast(
            {{ round_double("case when kind = 'refund' then -commission_original else commission_original end * fx_rate", 4) }}
            as decimal(18, 4)
        ) as net_commission_reporting,
        '{{ var("refund_policy") }}' as refund_policy,
        _partition_date
    from converted
)

select * from final
