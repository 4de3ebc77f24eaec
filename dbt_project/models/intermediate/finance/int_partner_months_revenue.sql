-- Partner x period (by revenue date), only where the partner had converted transactions: revenue, commission and
-- counts in the reporting currency, and the first and last day of a sale. Every partner-period model that needs
-- these reads them here instead of the converted transactions (tens of millions of rows on a large program): the
-- partner-period facts (int_partner_months_aggregated), the activity days of the retention status
-- (int_partner_months_classified), and each partner's and the program's first period (the spines).
--
-- Incremental per changed period in a window run: the pre-hook deletes each partner's periods from its first
-- changed period on (macro delete_changed_partner_periods), and the model computes those periods again from
-- their transactions. A nightly run reads the window's periods of the partners it changed.
-- depends_on: {{ ref('int_transactions_changed') }}
{{
    config(
        materialized=windowed_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_partner_periods() }}",
    )
}}
with

transactions as (
    select converted.*
    from {{ ref('int_transactions_converted') }} as converted
    {% if is_incremental() %}
    inner join ({{ first_changed_partner_periods() }}) as changed
        on converted.partner_id = changed.partner_id
        and converted.revenue_date >= changed.month_start_date
    {% endif %}
),

final as (
    select
        partner_id,
        cast({{ period_trunc('revenue_date') }} as date) as month_start_date,
        -- decimal(38, 4) on every engine (Spark sums decimal(18, 4) into decimal(28, 4)).
        cast(sum(case when kind = 'sale' then amount_reporting else 0 end) as decimal(38, 4)) as gross_revenue_reporting,
        cast(sum(case when kind = 'refund' then amount_reporting else 0 end) as decimal(38, 4)) as refunds_reporting,
        cast(sum(net_amount_reporting) as decimal(38, 4)) as net_revenue_reporting,
        cast(sum(net_commission_reporting) as decimal(38, 4)) as commission_reporting,
        count(case when kind = 'sale' then 1 end) as sale_count,
        count(case when kind = 'refund' then 1 end) as refund_count,
        min(case when kind = 'sale' then revenue_date end) as first_sale_date,
        max(case when kind = 'sale' then revenue_date end) as last_sale_date
    from transactions
    group by partner_id, cast({{ period_trunc('revenue_date') }} as date)
)

select * from final
