-- Backtest of the at-risk list (docs/metrics.md "At-risk partners", "Backtest"): per complete period, the list as
-- it was flagged at the period's end against what happened next: did a partner churn (the retention marts' churn,
-- fct_partner_monthly_status) with a churn date (its last sale) within var early_warning_horizon_days after the
-- flag? Partners whose churn date had already passed at the flag (stopped for good, churn not yet recorded) are
-- counted apart: no early warning is possible for them. Precision, recall and lead time of the list, of a baseline
-- of the same size (the partners longest without a sale), and of the naive rule "days since the last sale > var
-- early_warning_baseline_days" at its own size. No look-ahead: the flags come from int_partner_months_risk_signals,
-- whose windows stop at the period; only the outcome (and the split of the already churned) looks ahead.
{% set horizon = var('early_warning_horizon_days') | int %}
{% set baseline_days = var('early_warning_baseline_days') | int %}
{% set churn_days = var('churn_inactivity_days') | int %}
with

signals as (
    select * from {{ ref('int_partner_months_risk_signals') }}
),

churn_events as (
    select partner_id, month_start_date, churn_date from {{ ref('fct_partner_monthly_status') }}
    where is_churned
),

-- The first churn after the flagged period whose churn date (the last sale) is within the horizon of the flag.
outcomes as (
    select
        signals.partner_month_id,
        min(churn_events.churn_date) as churn_date
    from signals
    inner join churn_events
        on signals.partner_id = churn_events.partner_id
        and churn_events.month_start_date > signals.month_start_date
        and churn_events.churn_date <= cast({{ dbt.dateadd('day', horizon, 'signals.period_end_date') }} as date)
    group by signals.partner_month_id
),

ranked as (
    select
        signals.partner_id,
        signals.month_start_date,
        signals.next_month_start_date,
        signals.period_grain,
        signals.period_end_date,
        signals.as_of_date,
        outcomes.churn_date,
        coalesce(outcomes.churn_date <= signals.period_end_date, false) as is_already_churned,
        coalesce(outcomes.churn_date > signals.period_end_date, false) as is_churned_within_horizon,
        signals.risk_score >= {{ var('at_risk_min_score') | int }} as is_listed,
        signals.days_since_last_sale > {{ baseline_days }} as is_naive_flagged,
        dense_rank() over (order by signals.month_start_date) as period_number,
        signals.days_since_last_sale,
        signals.risk_score
    from signals
    left join outcomes on signals.partner_month_id = outcomes.partner_month_id
),

-- The evaluated partners of a period: the base without the already churned; the baseline is as long as the list.
sized as (
    select
        *,
        count(case when is_listed and not is_already_churned then 1 end) over (
            partition by month_start_date
        ) as list_size,
        row_number() over (
            partition by month_start_date, is_already_churned order by days_since_last_sale desc, partner_id
        ) as gap_rank
    from ranked
),

-- Runs of consecutive flagged periods per partner (gaps and islands): the lead time counts from a run's first flag.
runs as (
    select
        *,
        not is_already_churned and gap_rank <= list_size as is_baseline_flagged,
        period_number - row_number() over (
            partition by partner_id, is_listed order by month_start_date
        ) as list_run,
        period_number - row_number() over (
            partition by partner_id, not is_already_churned and gap_rank <= list_size order by month_start_date
        ) as baseline_run,
        period_number - row_number() over (
            partition by partner_id, is_naive_flagged order by month_start_date
        ) as naive_run
    from sized
),

first_flags as (
    select
        *,
        min(period_end_date) over (partition by partner_id, is_listed, list_run) as list_first_flag_date,
        min(period_end_date) over (partition by partner_id, is_baseline_flagged, baseline_run)
            as baseline_first_flag_date,
        min(period_end_date) over (partition by partner_id, is_naive_flagged, naive_run) as naive_first_flag_date
    from runs
),

lead_times as (
    select
        *,
        case when is_listed and is_churned_within_horizon
            then {{ dbt.datediff('list_first_flag_date', 'churn_date', 'day') }} end as list_lead_time_days,
        case when is_baseline_flagged and is_churned_within_horizon
            then {{ dbt.datediff('baseline_first_flag_date', 'churn_date', 'day') }} end as baseline_lead_time_days,
        case when is_naive_flagged and is_churned_within_horizon
            then {{ dbt.datediff('naive_first_flag_date', 'churn_date', 'day') }} end as naive_lead_time_days
    from first_flags
),

per_period as (
    select
        month_start_date,
        max(next_month_start_date) as next_month_start_date,
        max(period_grain) as period_grain,
        max(period_end_date) as period_end_date,
        max(as_of_date) as as_of_date,
        count(*) as base_partners_count,
        count(case when is_already_churned then 1 end) as already_churned_count,
        count(case when is_churned_within_horizon then 1 end) as churned_within_horizon_count,
        count(case when is_listed and not is_already_churned then 1 end) as list_size,
        count(case when is_listed and is_already_churned then 1 end) as list_already_churned_count,
        count(case when is_listed and is_churned_within_horizon then 1 end) as list_true_positive_count,
        percentile_cont(0.5) within group (order by list_lead_time_days) as list_lead_time_days_median,
        count(case when is_baseline_flagged then 1 end) as baseline_list_size,
        count(case when is_baseline_flagged and is_churned_within_horizon then 1 end) as baseline_true_positive_count,
        percentile_cont(0.5) within group (order by baseline_lead_time_days) as baseline_lead_time_days_median,
        count(case when is_naive_flagged and not is_already_churned then 1 end) as naive_list_size,
        count(case when is_naive_flagged and is_churned_within_horizon then 1 end) as naive_true_positive_count,
        percentile_cont(0.5) within group (order by naive_lead_time_days) as naive_lead_time_days_median
    from lead_times
    group by month_start_date
),

final as (
    select
        month_start_date,
        next_month_start_date,
        period_grain,
        period_end_date,
        cast({{ dbt.dateadd('day', horizon, 'period_end_date') }} as date) as horizon_end_date,
        -- A churn within the horizon is recorded at the latest churn_inactivity_days after it.
        cast({{ dbt.dateadd('day', horizon + churn_days, 'period_end_date') }} as date) <= as_of_date
            as is_outcome_complete,
        cast(base_partners_count as bigint) as base_partners_count,
        cast(already_churned_count as bigint) as already_churned_count,
        cast(churned_within_horizon_count as bigint) as churned_within_horizon_count,
        cast(list_size as bigint) as list_size,
        cast(list_already_churned_count as bigint) as list_already_churned_count,
        cast(list_true_positive_count as bigint) as list_true_positive_count,
        {{ safe_ratio('list_true_positive_count', 'list_size') }} as list_precision,
        {{ safe_ratio('list_true_positive_count', 'churned_within_horizon_count') }} as list_recall,
        cast(list_lead_time_days_median as {{ type_double() }}) as list_lead_time_days_median,
        cast(baseline_list_size as bigint) as baseline_list_size,
        cast(baseline_true_positive_count as bigint) as baseline_true_positive_count,
        {{ safe_ratio('baseline_true_positive_count', 'baseline_list_size') }} as baseline_precision,
        {{ safe_ratio('baseline_true_positive_count', 'churned_within_horizon_count') }} as baseline_recall,
        cast(baseline_lead_time_days_median as {{ type_double() }}) as baseline_lead_time_days_median,
        cast(naive_list_size as bigint) as naive_list_size,
        cast(naive_true_positive_count as bigint) as naive_true_positive_count,
        {{ safe_ratio('naive_true_positive_count', 'naive_list_size') }} as naive_precision,
        {{ safe_ratio('naive_true_positive_count', 'churned_within_horizon_count') }} as naive_recall,
        cast(naive_lead_time_days_median as {{ type_double() }}) as naive_lead_time_days_median,
        as_of_date
    from per_period
)

select * from final
