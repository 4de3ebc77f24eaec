-- Per partner and fit date, the scores of a converged fit; the money columns get their currency suffix.
with

source as (
    select * from {{ source('predictive', 'partner_scores') }}
),

final as (
    select
        fit_date,
        partner_id,
        p_alive,
        p_alive_low,
        p_alive_high,
        p_sale_90d,
        expected_sales_90d,
        expected_sales_12m,
        expected_avg_net_value as expected_avg_net_value_reporting,
        expected_net_revenue_12m as expected_net_revenue_12m_reporting,
        predictive_ltv as predictive_ltv_reporting,
        predictive_ltv_low as predictive_ltv_low_reporting,
        predictive_ltv_high as predictive_ltv_high_reporting,
        pareto_nbd_p_alive,
        pareto_nbd_expected_sales_90d,
        pareto_nbd_expected_sales_12m
    from source
)

select * from final
