-- Blocked payout requests per period (month or quarter) and blocked_reason, program-wide (docs/metrics.md
-- "Partner health"); fct_payouts_monthly has the total by cut. A blocked request without a reason is 'unknown'.
with

payouts as (
    select * from {{ ref('stg_program__payouts') }}
    where status = 'blocked'
),

program_months as (
    select * from {{ ref('int_program_months_spined') }}
),

counted as (
    select
        cast({{ period_trunc('requested_at') }} as date) as month_start_date,
        coalesce(blocked_reason, 'unknown') as blocked_reason,
        count(*) as payouts_blocked_count,
        count(distinct partner_id) as partners_blocked_count
    from payouts
    group by cast({{ period_trunc('requested_at') }} as date), coalesce(blocked_reason, 'unknown')
),

final as (
    select
        {{ dbt.concat([dbt.safe_cast('counted.month_start_date', api.Column.translate_type('string')), "'|'", 'counted.blocked_reason']) }}
            as payouts_blocked_id,
        counted.month_start_date,
        program_months.next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        counted.blocked_reason,
        counted.payouts_blocked_count,
        counted.partners_blocked_count,
        {{ as_of_date() }} as as_of_date
    from counted
    inner join program_months on counted.month_start_date = program_months.month_start_date
)

select * from final
