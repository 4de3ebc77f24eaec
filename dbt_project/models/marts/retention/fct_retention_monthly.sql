-- Retention per period (month or quarter) and dimension: counts, set-based CRR, the seed formula (E - N) / S, partner-base index, churn rate.
-- Rates are null when S = 0 and, by default, in the current partial period.
with

counts as (
    select * from {{ ref('int_retention_counts_monthly') }}
),

final as (
    select
        retention_id,
        month_start_date,
        next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        is_partial_period,
        dimension_name,
        dimension_value,
        partners_start_count,
        partners_new_count,
        partners_churned_count,
        partners_reactivated_count,
        partners_end_count,
        partners_retained_count,
        partners_start_churned_count,
        partners_new_churned_count,
        partners_active_count,
        {{ period_rate('partners_retained_count', 'partners_start_count') }} as customer_retention_rate,
        {{ period_rate('partners_end_count - partners_new_count', 'partners_start_count') }}
            as customer_retention_rate_formula,
        {{ period_rate('partners_end_count', 'partners_start_count') }} as partner_base_index,
        {{ period_rate('partners_start_churned_count', 'partners_start_count') }} as churn_rate,
        as_of_date
    from counts
)

select * from final
