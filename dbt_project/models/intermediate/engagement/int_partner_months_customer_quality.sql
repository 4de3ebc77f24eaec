-- Partner x period: the end customers with a sale in the trailing 12 months (the period and the periods before it
-- in one year), how many bought on 2 or more distinct days, and their net revenue in the window (by revenue date).
-- Sale days in different periods are different days, so a window's sale days are the sum over its periods.
with

transactions as (
    select * from {{ ref('int_transactions_converted') }}
),

partner_months as (
    select * from {{ ref('int_partner_months_spined') }}
),

customer_periods as (
    select
        partner_id,
        customer_id,
        cast({{ period_trunc('revenue_date') }} as date) as month_start_date,
        count(distinct case when kind = 'sale' then occurred_date end) as sale_day_count,
        sum(net_amount_reporting) as net_revenue_reporting
    from transactions
    group by partner_id, customer_id, cast({{ period_trunc('revenue_date') }} as date)
),

offsets as (
    {% for offset in range(periods_per_year()) %}
    select {{ offset }} as period_offset{% if not loop.last %} union all{% endif %}
    {% endfor %}
),

customer_windows as (
    select
        customer_periods.partner_id,
        customer_periods.customer_id,
        cast({{ period_add('offsets.period_offset', 'customer_periods.month_start_date') }} as date) as month_start_date,
        sum(customer_periods.sale_day_count) as sale_day_count,
        sum(customer_periods.net_revenue_reporting) as net_revenue_reporting
    from customer_periods
    cross join offsets
    group by
        customer_periods.partner_id,
        customer_periods.customer_id,
        cast({{ period_add('offsets.period_offset', 'customer_periods.month_start_date') }} as date)
),

partner_windows as (
    select
        partner_id,
        month_start_date,
        count(*) as trailing_12m_customer_count,
        count(case when sale_day_count >= 2 then 1 end) as trailing_12m_repeat_customer_count,
        sum(net_revenue_reporting) as trailing_12m_customer_net_revenue_reporting
    from customer_windows
    where sale_day_count >= 1
    group by partner_id, month_start_date
),

final as (
    select
        partner_months.partner_id,
        partner_months.month_start_date,
        coalesce(partner_windows.trailing_12m_customer_count, 0) as trailing_12m_customer_count,
        coalesce(partner_windows.trailing_12m_repeat_customer_count, 0) as trailing_12m_repeat_customer_count,
        coalesce(partner_windows.trailing_12m_customer_net_revenue_reporting, 0) as trailing_12m_customer_net_revenue_reporting
    from partner_months
    left join partner_windows
        on partner_months.partner_id = partner_windows.partner_id
        and partner_months.month_start_date = partner_windows.month_start_date
)

select * from final
