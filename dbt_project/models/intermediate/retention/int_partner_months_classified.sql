-- Partner x period ({{ period_grain() }}) retention status (docs/metrics.md "Partner status").
-- Base membership is a closed form of the last activity date, so S + N - churned + reactivated = E holds per row.
{% set churn_days = var('churn_inactivity_days') | int %}
with

partner_months as (
    select * from {{ ref('int_partner_months_aggregated') }}
),

partners as (
    select * from {{ ref('int_partners_latest') }}
),

partner_month_sales as (
    select * from {{ ref('int_partner_months_revenue') }}
    where sale_count > 0
),

{% if var('activity_includes_converted_leads') %}
converted_leads as (
    select * from {{ ref('stg_program__leads') }}
    where is_converted and converted_at is not null
),
{% endif %}

-- The first and last activity day of each partner-period: its sales' first and last day, and with converted
-- leads counting as activity, their conversion days.
activity_bounds as (
    select
        partner_id,
        month_start_date,
        min(first_activity_date) as first_activity_date,
        max(last_activity_date) as last_activity_date
    from (
        select partner_id, month_start_date, first_sale_date as first_activity_date, last_sale_date as last_activity_date
        from partner_month_sales
        {% if var('activity_includes_converted_leads') %}
        union all
        select
            partner_id,
            cast({{ period_trunc('converted_at') }} as date) as month_start_date,
            cast(converted_at as date) as first_activity_date,
            cast(converted_at as date) as last_activity_date
        from converted_leads
        {% endif %}
    ) as activity
    group by partner_id, month_start_date
),

joined as (
    select
        partner_months.partner_month_id,
        partner_months.partner_id,
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.is_active,
        partner_months.is_partial_period,
        partner_months.as_of_date,
        case when partner_months.is_active then activity_bounds.first_activity_date end
            as first_activity_in_period_date,
        case when partner_months.is_active then activity_bounds.last_activity_date end
            as last_activity_in_period_date,
        partners.terminated_date,
        -- Churn is judged at the period end; in the current partial period it cannot fire (cut-off = period start).
        case
            when partner_months.is_partial_period then partner_months.month_start_date
            else partner_months.next_month_start_date
        end as churn_cutoff_date
    from partner_months
    left join activity_bounds
        on partner_months.partner_id = activity_bounds.partner_id
        and partner_months.month_start_date = activity_bounds.month_start_date
    left join partners
        on partner_months.partner_id = partners.partner_id
),

with_history as (
    select
        *,
        max(last_activity_in_period_date) over (
            partition by partner_id order by month_start_date
            rows between unbounded preceding and 1 preceding
        ) as previous_last_activity_date
    from joined
),

with_dates as (
    select
        *,
        coalesce(last_activity_in_period_date, previous_last_activity_date) as last_activity_date,
        cast({{ dbt.dateadd('day', churn_days, 'previous_last_activity_date') }} as date)
            as previous_churn_completion_date,
        cast({{ dbt.dateadd('day', churn_days, 'coalesce(last_activity_in_period_date, previous_last_activity_date)') }} as date)
            as churn_completion_date,
        coalesce(terminated_date < month_start_date, false) as is_terminated_before_period,
        coalesce(terminated_date < churn_cutoff_date, false) as is_terminated_by_period_end
    from with_history
),

membership as (
    select
        *,
        (
            previous_last_activity_date is not null
            and not is_terminated_before_period
            and previous_churn_completion_date >= month_start_date
        ) as is_in_base_at_start,
        (
            last_activity_date is not null
            and not is_terminated_by_period_end
            and churn_completion_date >= churn_cutoff_date
        ) as is_in_base_at_end
    from with_dates
),

events as (
    select
        *,
        (
            is_in_base_at_start
            and previous_churn_completion_date < churn_cutoff_date
            and (not is_active or first_activity_in_period_date > previous_churn_completion_date)
        ) as has_inactivity_churn,
        (is_active and previous_last_activity_date is null and not is_terminated_before_period) as is_new
    from membership
),

reactivations as (
    select
        *,
        (
            is_active
            and previous_last_activity_date is not null
            and not is_terminated_before_period
            and (not is_in_base_at_start or has_inactivity_churn)
        ) as is_reactivated
    from events
),

counted as (
    select
        *,
        (
            (is_in_base_at_start and not has_inactivity_churn) or is_new or is_reactivated
        ) and not is_in_base_at_end as has_termination_churn
    from reactivations
),

final as (
    select
        partner_month_id,
        partner_id,
        month_start_date,
        next_month_start_date,
        is_partial_period,
        is_active,
        first_activity_in_period_date,
        last_activity_in_period_date,
        previous_last_activity_date,
        last_activity_date,
        churn_completion_date,
        terminated_date,
        is_in_base_at_start,
        is_in_base_at_end,
        is_new,
        is_reactivated,
        (has_inactivity_churn or has_termination_churn) as is_churned,
        case when has_inactivity_churn then 1 else 0 end
        + case when has_termination_churn then 1 else 0 end as churn_event_count,
        case
            when has_termination_churn then 'terminated'
            when has_inactivity_churn then 'inactivity'
        end as churn_reason,
        case
            when has_termination_churn then last_activity_date
            when has_inactivity_churn then previous_last_activity_date
        end as churn_date,
        case
            when is_new then 'new'
            when is_reactivated then 'reactivated'
            when has_inactivity_churn or has_termination_churn then 'churned'
            when is_in_base_at_start and is_in_base_at_end and is_active then 'retained'
            when is_in_base_at_end and (is_partial_period or churn_completion_date > as_of_date) then 'undetermined'
            when is_in_base_at_end then 'dormant'
            else 'inactive'
        end as partner_status,
        as_of_date
    from counted
)

select * from final
