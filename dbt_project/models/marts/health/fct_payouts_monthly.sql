-- Payout speed per period (month or quarter) and cut (program, tier, segment, partner type, region; docs/metrics.md
-- "Partner health"): requested, paid, failed and blocked payouts, hours from request to payment (median, p90) of the
-- payouts paid in the period, the share paid within the SLA (var payout_sla_hours), payouts per paid partner, the
-- share of paid partner-months with at least two payments, and requests still open past the SLA at period end.
{% set sla_hours = var('payout_sla_hours') | int %}
with

partner_periods as (
    {{ partner_period_cuts() }}
),

program_months as (
    select * from {{ ref('int_program_months_spined') }}
),

payouts as (
    select
        *,
        case
            when status = 'paid' and paid_at is not null
                then cast({{ dbt.datediff('requested_at', 'paid_at', 'second') }} as {{ type_double() }}) / 3600
        end as hours_to_payment
    from {{ ref('stg_program__payouts') }}
),

requested as (
    select
        partner_id,
        cast({{ period_trunc('requested_at') }} as date) as month_start_date,
        count(*) as payouts_requested_count,
        count(case when status = 'failed' then 1 end) as payouts_failed_count,
        count(case when status = 'blocked' then 1 end) as payouts_blocked_count
    from payouts
    group by partner_id, cast({{ period_trunc('requested_at') }} as date)
),

-- Payments per partner and calendar month, whatever the period grain: the practice asks for two a month.
paid_months as (
    select
        partner_id,
        cast({{ dbt.date_trunc('month', 'paid_at') }} as date) as paid_month_start_date,
        count(*) as payments_count,
        count(case when hours_to_payment <= {{ sla_hours }} then 1 end) as paid_within_sla_count
    from payouts
    where hours_to_payment is not null
    group by partner_id, cast({{ dbt.date_trunc('month', 'paid_at') }} as date)
),

paid as (
    select
        partner_id,
        cast({{ period_trunc('paid_month_start_date') }} as date) as month_start_date,
        sum(payments_count) as payouts_paid_count,
        sum(paid_within_sla_count) as payouts_paid_within_sla_count,
        count(*) as paid_months_count,
        count(case when payments_count >= 2 then 1 end) as paid_twice_months_count
    from paid_months
    group by partner_id, cast({{ period_trunc('paid_month_start_date') }} as date)
),

-- Requests still open at the end of a period (the end of the as-of day in the partial one) whose SLA had run out by
-- then: not yet paid, or paid after the period ended. Failed and blocked requests carry no decision time. A request
-- is open past its SLA at the end of every period from the one its SLA runs out in to the one before its payment
-- (or to the as-of period while unpaid): a range join, never a loop over every period x payout.
open_ranges as (
    select
        partner_id,
        cast({{ period_trunc(dbt.dateadd('hour', sla_hours, 'requested_at')) }} as date) as first_open_month_start_date,
        case
            when status = 'paid' then cast({{ period_add(-1, period_trunc('paid_at')) }} as date)
            else cast({{ period_trunc(as_of_date()) }} as date)
        end as last_open_month_start_date
    from payouts
    where status in ('requested', 'paid')
        and {{ dbt.dateadd('hour', sla_hours, 'requested_at') }} < {{ dbt.dateadd('day', 1, as_of_date()) }}
),

open_past_sla as (
    select
        open_ranges.partner_id,
        program_months.month_start_date,
        count(*) as open_past_sla_count
    from open_ranges
    inner join program_months
        on program_months.month_start_date >= open_ranges.first_open_month_start_date
        and program_months.month_start_date <= open_ranges.last_open_month_start_date
    group by open_ranges.partner_id, program_months.month_start_date
),

facts as (
    select
        partner_periods.*,
        coalesce(requested.payouts_requested_count, 0) as payouts_requested_count,
        coalesce(requested.payouts_failed_count, 0) as payouts_failed_count,
        coalesce(requested.payouts_blocked_count, 0) as payouts_blocked_count,
        coalesce(paid.payouts_paid_count, 0) as payouts_paid_count,
        coalesce(paid.payouts_paid_within_sla_count, 0) as payouts_paid_within_sla_count,
        coalesce(paid.paid_months_count, 0) as paid_months_count,
        coalesce(paid.paid_twice_months_count, 0) as paid_twice_months_count,
        coalesce(open_past_sla.open_past_sla_count, 0) as open_past_sla_count
    from partner_periods
    left join requested
        on partner_periods.partner_id = requested.partner_id
        and partner_periods.month_start_date = requested.month_start_date
    left join paid
        on partner_periods.partner_id = paid.partner_id
        and partner_periods.month_start_date = paid.month_start_date
    left join open_past_sla
        on partner_periods.partner_id = open_past_sla.partner_id
        and partner_periods.month_start_date = open_past_sla.month_start_date
),

dimensioned as (
    {% for dimension in health_dimensions() %}
    select '{{ dimension }}' as dimension_name, {{ dimension }} as dimension_value, facts.* from facts
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

counted as (
    select
        month_start_date,
        next_month_start_date,
        is_partial_period,
        dimension_name,
        dimension_value,
        cast(sum(payouts_requested_count) as bigint) as payouts_requested_count,
        cast(sum(payouts_paid_count) as bigint) as payouts_paid_count,
        cast(sum(payouts_failed_count) as bigint) as payouts_failed_count,
        cast(sum(payouts_blocked_count) as bigint) as payouts_blocked_count,
        cast(sum(payouts_paid_within_sla_count) as bigint) as payouts_paid_within_sla_count,
        count(case when payouts_paid_count > 0 then 1 end) as paid_partners_count,
        cast(sum(paid_months_count) as bigint) as paid_partner_months_count,
        cast(sum(paid_twice_months_count) as bigint) as paid_twice_partner_months_count,
        cast(sum(open_past_sla_count) as bigint) as open_past_sla_count,
        as_of_date
    from dimensioned
    group by month_start_date, next_month_start_date, is_partial_period, dimension_name, dimension_value, as_of_date
),

-- Hours to payment of each payout paid in the period, by the paying partner's cuts of that period.
paid_hours as (
    {% for dimension in health_dimensions() %}
    select
        partner_periods.month_start_date,
        '{{ dimension }}' as dimension_name,
        partner_periods.{{ dimension }} as dimension_value,
        payouts.hours_to_payment
    from payouts
    inner join partner_periods
        on payouts.partner_id = partner_periods.partner_id
        and cast({{ period_trunc('payouts.paid_at') }} as date) = partner_periods.month_start_date
    where payouts.hours_to_payment is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

hours as (
    select
        month_start_date,
        dimension_name,
        dimension_value,
        percentile_cont(0.5) within group (order by hours_to_payment) as hours_to_payment_median,
        percentile_cont(0.9) within group (order by hours_to_payment) as hours_to_payment_p90
    from paid_hours
    group by month_start_date, dimension_name, dimension_value
),

final as (
    select
        {{ dbt.concat([dbt.safe_cast('counted.month_start_date', api.Column.translate_type('string')), "'|'", 'counted.dimension_name', "'|'", 'counted.dimension_value']) }}
            as payouts_id,
        counted.month_start_date,
        counted.next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        counted.is_partial_period,
        counted.dimension_name,
        counted.dimension_value,
        counted.payouts_requested_count,
        counted.payouts_paid_count,
        counted.payouts_failed_count,
        counted.payouts_blocked_count,
        counted.payouts_paid_within_sla_count,
        cast(hours.hours_to_payment_median as {{ type_double() }}) as hours_to_payment_median,
        cast(hours.hours_to_payment_p90 as {{ type_double() }}) as hours_to_payment_p90,
        {{ period_rate('counted.payouts_paid_within_sla_count', 'counted.payouts_paid_count', 'counted.is_partial_period') }}
            as paid_within_sla_rate,
        counted.paid_partners_count,
        {{ period_rate('counted.payouts_paid_count', 'counted.paid_partners_count', 'counted.is_partial_period') }}
            as payouts_per_paid_partner,
        counted.paid_partner_months_count,
        counted.paid_twice_partner_months_count,
        {{ period_rate('counted.paid_twice_partner_months_count', 'counted.paid_partner_months_count', 'counted.is_partial_period') }}
            as paid_twice_a_month_rate,
        counted.open_past_sla_count,
        {{ sla_hours }} as payout_sla_hours,
        counted.as_of_date
    from counted
    left join hours
        on counted.month_start_date = hours.month_start_date
        and counted.dimension_name = hours.dimension_name
        and counted.dimension_value = hours.dimension_value
)

select * from final
