-- Successes and trials of each partner rate that int_partner_rates_shrunk shrinks, one row per partner, period and
-- rate, over the complete partner-period spine (a partner without trials in the period has trials = 0):
--   lead_conversion  leads created in the period that converted / leads created in the period
--   refund_count     sales of the period refunded by the as-of date / sales of the period
--   refund_amount    the refunded share of the period's gross sales, as sales-weighted successes: trials = sales,
--                    successes = sales x refunded amount / gross sales (the prior's weight is counted in sales)
with

partner_months as (
    select * from {{ ref('int_partner_months_spined') }}
),

lead_outcomes as (
    select * from {{ ref('int_partner_months_lead_outcomes') }}
),

sale_refunds as (
    select * from {{ ref('int_partner_months_sale_refunds') }}
),

joined as (
    select
        {{ dbt.concat(["partner_months.partner_id", "'|'", dbt.safe_cast("partner_months.month_start_date", api.Column.translate_type('string'))]) }}
            as partner_month_id,
        partner_months.partner_id,
        partner_months.month_start_date,
        coalesce(lead_outcomes.leads_created, 0) as leads_created,
        coalesce(lead_outcomes.created_converted_count, 0) as created_converted_count,
        coalesce(sale_refunds.sale_count, 0) as sale_count,
        coalesce(sale_refunds.refunded_sale_count, 0) as refunded_sale_count,
        sale_refunds.gross_sales_reporting,
        sale_refunds.refunded_reporting
    from partner_months
    left join lead_outcomes
        on partner_months.partner_id = lead_outcomes.partner_id
        and partner_months.month_start_date = lead_outcomes.month_start_date
    left join sale_refunds
        on partner_months.partner_id = sale_refunds.partner_id
        and partner_months.month_start_date = sale_refunds.month_start_date
),

final as (
    select
        partner_month_id, partner_id, month_start_date, 'lead_conversion' as rate_name,
        cast(created_converted_count as {{ type_double() }}) as successes,
        cast(leads_created as {{ type_double() }}) as trials
    from joined
    union all
    select
        partner_month_id, partner_id, month_start_date, 'refund_count' as rate_name,
        cast(refunded_sale_count as {{ type_double() }}) as successes,
        cast(sale_count as {{ type_double() }}) as trials
    from joined
    union all
    select
        partner_month_id, partner_id, month_start_date, 'refund_amount' as rate_name,
        case
            when gross_sales_reporting > 0
                then sale_count * cast(refunded_reporting as {{ type_double() }}) / cast(gross_sales_reporting as {{ type_double() }})
            else 0
        end as successes,
        cast(case when gross_sales_reporting > 0 then sale_count else 0 end as {{ type_double() }}) as trials
    from joined
)

select * from final
