-- Predictive partner health per partner and period of fit (docs/metrics.md "Predictive partner health"): the
-- scores of the period's latest converged fit of the BG/NBD and Gamma-Gamma models, and Pareto/NBD's beside them
-- (null where it did not converge). Only partners with a sale up to the fit date have a row; credible-interval
-- columns are null for a MAP fit.
with

scores as (
    select * from {{ ref('stg_predictive__partner_scores') }}
),

fit_runs as (
    select * from {{ ref('stg_predictive__fit_runs') }}
    where is_converged
),

-- The latest converged fit attempt of each fit date (a refit of the same date replaces the scores).
fits as (
    select
        fit_date,
        max(fitted_at) as fitted_at
    from fit_runs
    group by fit_date
),

fit_settings as (
    select
        fit_runs.fit_date,
        fit_runs.method,
        fit_runs.ltv_months,
        fit_runs.annual_discount_rate
    from fit_runs
    inner join fits
        on fit_runs.fit_date = fits.fit_date
        and fit_runs.fitted_at = fits.fitted_at
),

latest_per_period as (
    select
        cast({{ period_trunc('fit_date') }} as date) as month_start_date,
        max(fit_date) as fit_date
    from fit_settings
    group by {{ period_trunc('fit_date') }}
),

final as (
    select
        {{ dbt.concat([
            "scores.partner_id", "'|'",
            dbt.safe_cast("latest_per_period.month_start_date", api.Column.translate_type('string'))
        ]) }} as partner_month_id,
        scores.partner_id,
        latest_per_period.month_start_date,
        '{{ period_grain() }}' as period_grain,
        scores.fit_date,
        fit_settings.method as fit_method,
        scores.p_alive,
        scores.p_alive_low,
        scores.p_alive_high,
        scores.p_sale_90d,
        scores.expected_sales_90d,
        scores.expected_sales_12m,
        scores.expected_avg_net_value_reporting,
        scores.expected_net_revenue_12m_reporting,
        scores.predictive_ltv_reporting,
        scores.predictive_ltv_low_reporting,
        scores.predictive_ltv_high_reporting,
        scores.pareto_nbd_p_alive,
        scores.pareto_nbd_expected_sales_90d,
        scores.pareto_nbd_expected_sales_12m,
        fit_settings.ltv_months,
        fit_settings.annual_discount_rate,
        '{{ var("reporting_currency") }}' as reporting_currency
    from scores
    inner join latest_per_period
        on scores.fit_date = latest_per_period.fit_date
    inner join fit_settings
        on scores.fit_date = fit_settings.fit_date
)

select * from final
