-- Traffic quality per partner and period: lead conversion and refund rates, raw and shrunk toward the program by
-- empirical Bayes (int_partner_rates_shrunk), and the quality of the partner's end customers over the trailing
-- 12 months, with the program's values alongside (docs/metrics.md "Leads, traffic quality, partner economics and
-- relationship").
with

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

rates as (
    select * from {{ ref('int_partner_rates_shrunk') }}
),

sale_refunds as (
    select * from {{ ref('int_partner_months_sale_refunds') }}
),

customers as (
    select * from {{ ref('int_partner_months_customer_quality') }}
),

pivoted as (
    select
        partner_month_id,
        max(case when rate_name = 'lead_conversion' then successes end) as created_converted_count,
        max(case when rate_name = 'lead_conversion' then raw_rate end) as lead_conversion_rate,
        max(case when rate_name = 'lead_conversion' then shrunk_rate end) as lead_conversion_rate_shrunk,
        max(case when rate_name = 'lead_conversion' then program_rate end) as program_lead_conversion_rate,
        max(case when rate_name = 'refund_count' then raw_rate end) as refund_rate_by_count,
        max(case when rate_name = 'refund_count' then shrunk_rate end) as refund_rate_by_count_shrunk,
        max(case when rate_name = 'refund_count' then program_rate end) as program_refund_rate_by_count,
        max(case when rate_name = 'refund_amount' then raw_rate end) as refund_rate_by_amount,
        max(case when rate_name = 'refund_amount' then shrunk_rate end) as refund_rate_by_amount_shrunk,
        max(case when rate_name = 'refund_amount' then program_rate end) as program_refund_rate_by_amount
    from rates
    group by partner_month_id
),

program_customers as (
    select
        month_start_date,
        {{ safe_ratio('sum(trailing_12m_repeat_customer_count)', 'sum(trailing_12m_customer_count)') }}
            as program_repeat_purchase_rate,
        {{ safe_ratio('sum(trailing_12m_customer_net_revenue_reporting)', 'sum(trailing_12m_customer_count)') }}
            as program_customer_net_value_reporting
    from customers
    group by month_start_date
),

final as (
    select
        partner_months.partner_month_id,
        partner_months.partner_id,
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.period_grain,
        partner_months.is_partial_period,
        partner_months.leads_created,
        cast(pivoted.created_converted_count as bigint) as created_converted_count,
        pivoted.lead_conversion_rate,
        pivoted.lead_conversion_rate_shrunk,
        pivoted.program_lead_conversion_rate,
        coalesce(sale_refunds.sale_count, 0) as sale_count,
        coalesce(sale_refunds.refunded_sale_count, 0) as refunded_sale_count,
        cast(coalesce(sale_refunds.gross_sales_reporting, 0) as decimal(38, 4)) as gross_sales_reporting,
        cast(coalesce(sale_refunds.refunded_reporting, 0) as decimal(38, 4)) as refunded_sales_reporting,
        pivoted.refund_rate_by_count,
        pivoted.refund_rate_by_count_shrunk,
        pivoted.program_refund_rate_by_count,
        pivoted.refund_rate_by_amount,
        pivoted.refund_rate_by_amount_shrunk,
        pivoted.program_refund_rate_by_amount,
        customers.trailing_12m_customer_count,
        customers.trailing_12m_repeat_customer_count,
        {{ safe_ratio('customers.trailing_12m_repeat_customer_count', 'customers.trailing_12m_customer_count') }}
            as repeat_purchase_rate,
        program_customers.program_repeat_purchase_rate,
        {{ safe_ratio('customers.trailing_12m_customer_net_revenue_reporting', 'customers.trailing_12m_customer_count') }}
            as customer_net_value_reporting,
        program_customers.program_customer_net_value_reporting,
        partner_months.reporting_currency,
        partner_months.as_of_date
    from partner_months
    inner join pivoted on partner_months.partner_month_id = pivoted.partner_month_id
    inner join customers
        on partner_months.partner_id = customers.partner_id
        and partner_months.month_start_date = customers.month_start_date
    inner join program_customers on partner_months.month_start_date = program_customers.month_start_date
    left join sale_refunds
        on partner_months.partner_id = sale_refunds.partner_id
        and partner_months.month_start_date = sale_refunds.month_start_date
)

select * from final
