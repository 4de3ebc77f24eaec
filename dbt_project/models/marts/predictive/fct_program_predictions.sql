-- Program-level predictions per period of fit (docs/metrics.md "Predictive partner health"): the parameters and
-- diagnostics of the period's latest converged fit and the expected counts and values summed over its partners;
-- Pareto/NBD's sums are null where it did not converge (every partner's Pareto/NBD scores are then null).
with

partners as (
    select * from {{ ref('fct_partner_predictions') }}
),

fit_runs as (
    select * from {{ ref('stg_predictive__fit_runs') }}
    where is_converged
),

totals as (
    select
        month_start_date,
        fit_date,
        count(*) as scored_partners_count,
        sum(p_alive) as expected_alive_partners,
        sum(p_sale_90d) as expected_active_partners_next_quarter,
        sum(expected_sales_90d) as total_expected_sales_90d,
        sum(expected_sales_12m) as total_expected_sales_12m,
        sum(expected_net_revenue_12m_reporting) as total_expected_net_revenue_12m_reporting,
        sum(predictive_ltv_reporting) as total_predictive_ltv_reporting,
        sum(pareto_nbd_p_alive) as pareto_nbd_expected_alive_partners,
        sum(pareto_nbd_expected_sales_90d) as pareto_nbd_total_expected_sales_90d,
        sum(pareto_nbd_expected_sales_12m) as pareto_nbd_total_expected_sales_12m
    from partners
    group by month_start_date, fit_date
),

-- The latest converged attempt of the fit date (the one whose scores the partner mart carries).
latest_run as (
    select
        fit_date,
        max(fitted_at) as fitted_at
    from fit_runs
    group by fit_date
),

final as (
    select
        totals.month_start_date,
        '{{ period_grain() }}' as period_grain,
        totals.fit_date,
        fit_runs.fitted_at,
        fit_runs.method as fit_method,
        fit_runs.is_converged,
        fit_runs.partners_count,
        fit_runs.repeat_partners_count,
        totals.scored_partners_count,
        fit_runs.bgnbd_r,
        fit_runs.bgnbd_alpha,
        fit_runs.bgnbd_a,
        fit_runs.bgnbd_b,
        fit_runs.bgnbd_log_likelihood,
        fit_runs.gamma_gamma_p,
        fit_runs.gamma_gamma_q,
        fit_runs.gamma_gamma_v,
        fit_runs.is_pareto_nbd_converged,
        fit_runs.pareto_nbd_r,
        fit_runs.pareto_nbd_alpha,
        fit_runs.pareto_nbd_s,
        fit_runs.pareto_nbd_beta,
        fit_runs.pareto_nbd_log_likelihood,
        totals.expected_alive_partners,
        totals.expected_active_partners_next_quarter,
        totals.total_expected_sales_90d,
        totals.total_expected_sales_12m,
        totals.total_expected_net_revenue_12m_reporting,
        totals.total_predictive_ltv_reporting,
        totals.pareto_nbd_expected_alive_partners,
        totals.pareto_nbd_total_expected_sales_90d,
        totals.pareto_nbd_total_expected_sales_12m,
        fit_runs.ltv_months,
        fit_runs.annual_discount_rate,
        '{{ var("reporting_currency") }}' as reporting_currency
    from totals
    inner join latest_run
        on totals.fit_date = latest_run.fit_date
    inner join fit_runs
        on latest_run.fit_date = fit_runs.fit_date
        and latest_run.fitted_at = fit_runs.fitted_at
)

select * from final
