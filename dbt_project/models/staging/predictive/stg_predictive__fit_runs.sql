-- Fit attempts of the predictive models (written by the fit asset; see the source's description).
with

source as (
    select * from {{ source('predictive', 'fit_runs') }}
),

final as (
    select
        fit_date,
        fitted_at,
        method,
        is_converged,
        message,
        partners_count,
        repeat_partners_count,
        r as bgnbd_r,
        alpha as bgnbd_alpha,
        a as bgnbd_a,
        b as bgnbd_b,
        p as gamma_gamma_p,
        q as gamma_gamma_q,
        v as gamma_gamma_v,
        log_likelihood as bgnbd_log_likelihood,
        is_pareto_nbd_converged,
        pareto_nbd_r,
        pareto_nbd_alpha,
        pareto_nbd_s,
        pareto_nbd_beta,
        pareto_nbd_log_likelihood,
        ltv_months,
        annual_discount_rate,
        seconds
    from source
)

select * from final
