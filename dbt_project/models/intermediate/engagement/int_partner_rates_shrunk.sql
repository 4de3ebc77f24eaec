-- Empirical-Bayes (beta-binomial) shrinkage of partner rates toward the program, per period and rate
-- (docs/metrics.md "Traffic quality"). Input: one row per partner, period and rate with successes and trials.
-- The prior Beta(a, b) comes from the raw rates of the partners with trials in the period, by the method of moments:
--   m = mean, v = population variance, a + b = m (1 - m) / v - 1, a = m (a + b), b = (1 - m) (a + b).
-- It cannot be estimated when fewer than 2 partners have trials, or v = 0, or v >= m (1 - m): then no shrinkage
-- (the shrunk rate is the raw rate, and the pooled program rate for a partner without trials).
with

rates as (
    select * from {{ ref('int_partner_months_rate_inputs') }}
),

raw as (
    select
        partner_month_id,
        partner_id,
        month_start_date,
        rate_name,
        successes,
        trials,
        case when trials > 0 then cast(successes as {{ type_double() }}) / cast(trials as {{ type_double() }}) end as raw_rate
    from rates
),

moments as (
    select
        month_start_date,
        rate_name,
        count(raw_rate) as rated_partner_count,
        -- From exact decimal sums (macro exact_average), not avg()/var_pop() of doubles, whose last bits depend on
        -- the order threads meet the rows: a nightly run and a full rebuild must give the same prior.
        {{ exact_average('raw_rate', 15) }} as mean_rate,
        {{ exact_average('raw_rate * raw_rate', 15) }} as mean_square_rate,
        -- Successes of refund_amount are fractions: summed exactly too (trials are whole numbers, exact as doubles).
        {{ safe_ratio('sum(cast(successes as decimal(38, 15)))', 'sum(trials)') }} as program_rate
    from raw
    group by month_start_date, rate_name
),

variances as (
    select
        *,
        -- Population variance E[r^2] - E[r]^2; rounding can leave a tiny negative for equal rates (then no prior).
        cast(mean_square_rate as {{ type_double() }}) - cast(mean_rate as {{ type_double() }}) * cast(mean_rate as {{ type_double() }})
            as variance_rate
    from moments
),

priors as (
    select
        month_start_date,
        rate_name,
        program_rate,
        case
            when rated_partner_count >= 2 and variance_rate > 0 and variance_rate < mean_rate * (1 - mean_rate)
                then mean_rate * (mean_rate * (1 - mean_rate) / variance_rate - 1)
        end as prior_alpha,
        case
            when rated_partner_count >= 2 and variance_rate > 0 and variance_rate < mean_rate * (1 - mean_rate)
                then (1 - mean_rate) * (mean_rate * (1 - mean_rate) / variance_rate - 1)
        end as prior_beta
    from variances
),

final as (
    select
        raw.partner_month_id,
        raw.partner_id,
        raw.month_start_date,
        raw.rate_name,
        raw.successes,
        raw.trials,
        raw.raw_rate,
        priors.prior_alpha,
        priors.prior_beta,
        priors.program_rate,
        case
            when priors.prior_alpha is not null
                then (raw.successes + priors.prior_alpha) / (raw.trials + priors.prior_alpha + priors.prior_beta)
            when raw.trials > 0 then raw.raw_rate
            else priors.program_rate
        end as shrunk_rate
    from raw
    inner join priors
        on raw.month_start_date = priors.month_start_date
        and raw.rate_name = priors.rate_name
)

select * from final
