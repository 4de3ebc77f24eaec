-- Partner x period x metric of the agreed monthly targets: their sum over the period's months and how many months
-- of the period have one (3 for a fully targeted quarter). Optional entity partner_targets: no rows when absent.
with

targets as (
    select * from {{ ref('stg_program__partner_targets') }}
),

final as (
    select
        partner_id,
        cast({{ period_trunc('period_start_date') }} as date) as month_start_date,
        metric,
        sum(target) as target_value,
        count(*) as target_months
    from targets
    group by partner_id, cast({{ period_trunc('period_start_date') }} as date), metric
)

select * from final
