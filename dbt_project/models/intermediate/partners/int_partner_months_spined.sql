-- Every partner x every period from its first period (signup or first revenue) to the as-of period, with the
-- partner's attributes valid at the period: the latest snapshot on or before the period's last day
-- (the first snapshot for periods before it).
with

partners as (
    select * from {{ ref('int_partners_latest') }}
),

snapshots as (
    select * from {{ ref('stg_program__partner_snapshots') }}
),

revenue as (
    select * from {{ ref('int_partner_months_revenue') }}
),

months as (
    select * from {{ ref('int_months_spined') }}
),

first_revenue as (
    select partner_id, min(month_start_date) as first_revenue_month_start_date
    from revenue
    group by partner_id
),

starts as (
    select
        partners.partner_id,
        partners.signup_date,
        case
            when first_revenue.first_revenue_month_start_date is null
                or first_revenue.first_revenue_month_start_date > {{ period_trunc('partners.signup_date') }}
                then {{ period_trunc('partners.signup_date') }}
            else first_revenue.first_revenue_month_start_date
        end as first_month_start_date
    from partners
    left join first_revenue on partners.partner_id = first_revenue.partner_id
),

-- Each snapshot is valid from its date to the next snapshot's; the first one also covers everything before it.
-- Plain bounds (no OR in the join below): an OR there turned the join into a nested loop over every
-- partner-period x every snapshot, which never finished on 100k partners (docs/benchmarks.md).
attribute_ranges as (
    select
        partner_id,
        snapshot_date,
        region,
        partner_type,
        ecosystem,
        {{ validity_range('partner_id', 'snapshot_date') }}
    from snapshots
),

spined as (
    select
        starts.partner_id,
        months.month_start_date,
        months.next_month_start_date,
        starts.signup_date,
        starts.first_month_start_date
    from starts
    inner join months on months.month_start_date >= starts.first_month_start_date
),

final as (
    select
        spined.partner_id,
        spined.month_start_date,
        spined.next_month_start_date,
        spined.signup_date,
        spined.first_month_start_date,
        attribute_ranges.region,
        attribute_ranges.partner_type,
        attribute_ranges.ecosystem,
        attribute_ranges.snapshot_date as attributes_snapshot_date
    from spined
    left join attribute_ranges
        on spined.partner_id = attribute_ranges.partner_id
        and attribute_ranges.valid_from_date < spined.next_month_start_date
        and attribute_ranges.valid_to_date >= spined.next_month_start_date
)

select * from final
