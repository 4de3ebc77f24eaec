-- One row per payout that broke the payout SLA (var payout_sla_hours, docs/metrics.md "Partner health"): paid
-- more than the SLA after its request (`paid_late`), or still requested and unpaid when the SLA ran out before
-- the end of the as-of day (`open_past_sla`). Failed and blocked payouts are outcomes, not breaches. Dated by
-- when the SLA ran out (sla_due_at), so a partner-level mart can count breaches per period.
{% set sla_hours = var('payout_sla_hours') | int %}
with

payouts as (
    select * from {{ ref('stg_program__payouts') }}
),

timed as (
    select
        payout_id,
        partner_id,
        requested_at,
        paid_at,
        status,
        {{ dbt.dateadd('hour', sla_hours, 'requested_at') }} as sla_due_at,
        case
            when status = 'paid' and paid_at is not null
                then cast({{ dbt.datediff('requested_at', 'paid_at', 'second') }} as {{ type_double() }}) / 3600
        end as hours_to_payment
    from payouts
),

final as (
    select
        payout_id,
        partner_id,
        requested_at,
        paid_at,
        sla_due_at,
        cast(sla_due_at as date) as breach_date,
        cast({{ period_trunc('sla_due_at') }} as date) as month_start_date,
        hours_to_payment,
        case when status = 'paid' then 'paid_late' else 'open_past_sla' end as breach_kind,
        {{ as_of_date() }} as as_of_date
    from timed
    where
        (status = 'paid' and hours_to_payment > {{ sla_hours }})
        or (status = 'requested' and sla_due_at < {{ dbt.dateadd('day', 1, as_of_date()) }})
)

select * from final
