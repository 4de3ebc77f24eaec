-- Two-tier program per parent partner and period (month or quarter; docs/metrics.md "Two-tier programs"): its direct
-- sub-partners in the tree of the latest snapshot (int_partner_hierarchy), how many were active, their net revenue,
-- their retention from the previous period, the parent's second-tier commission at var two_tier_override_rate, and
-- the depth of the parent's tree below it. Periods from the first with transaction data.
with

hierarchy as (
    select * from {{ ref('int_partner_hierarchy') }}
),

ancestors as (
    select * from {{ ref('int_partner_ancestors') }}
),

partners as (
    select partner_id, terminated_date from {{ ref('int_partners_latest') }}
),

all_partner_months as (
    select * from {{ ref('int_partner_months_aggregated') }}
),

program_months as (
    select * from {{ ref('int_program_months_spined') }}
),

partner_months as (
    select all_partner_months.*
    from all_partner_months
    inner join program_months on all_partner_months.month_start_date = program_months.month_start_date
),

periods as (
    select distinct month_start_date, next_month_start_date, is_partial_period, as_of_date
    from partner_months
),

-- Levels of the tree below each partner (1 = direct sub-partners only), up to var two_tier_max_depth.
tree_depths as (
    select
        ancestor_partner_id as partner_id,
        max(ancestor_distance) as tree_depth
    from ancestors
    group by ancestor_partner_id
),

sub_partner_months as (
    select
        hierarchy.parent_partner_id,
        partner_months.month_start_date,
        partner_months.is_active,
        partner_months.net_revenue_reporting,
        coalesce(previous.is_active, false) as was_active
    from partner_months
    inner join hierarchy on partner_months.partner_id = hierarchy.partner_id
    left join all_partner_months as previous
        on partner_months.partner_id = previous.partner_id
        and partner_months.month_start_date = previous.next_month_start_date
    where hierarchy.parent_partner_id is not null
),

sub_partner_counts as (
    select
        parent_partner_id,
        month_start_date,
        count(*) as sub_partners_count,
        count(case when is_active then 1 end) as active_sub_partners_count,
        sum(net_revenue_reporting) as sub_partner_net_revenue_reporting,
        count(case when was_active then 1 end) as previous_active_sub_partners_count,
        count(case when was_active and is_active then 1 end) as retained_sub_partners_count
    from sub_partner_months
    group by parent_partner_id, month_start_date
),

-- A parent's periods: its own partner-periods and any period one of its sub-partners has a row in.
parent_months as (
    select partner_months.partner_id as parent_partner_id, partner_months.month_start_date
    from partner_months
    where partner_months.partner_id in (select parent_partner_id from hierarchy where parent_partner_id is not null)
    union
    select parent_partner_id, month_start_date from sub_partner_counts
),

final as (
    select
        {{ dbt.concat(["parent_months.parent_partner_id", "'|'", dbt.safe_cast("parent_months.month_start_date", api.Column.translate_type('string'))]) }}
            as partner_month_id,
        parent_months.parent_partner_id,
        parent_months.month_start_date,
        periods.next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        periods.is_partial_period,
        coalesce(partners.terminated_date < periods.next_month_start_date, false) as is_parent_terminated,
        coalesce(sub_partner_counts.sub_partners_count, 0) as sub_partners_count,
        coalesce(sub_partner_counts.active_sub_partners_count, 0) as active_sub_partners_count,
        cast(coalesce(sub_partner_counts.sub_partner_net_revenue_reporting, 0) as decimal(38, 4))
            as sub_partner_net_revenue_reporting,
        coalesce(sub_partner_counts.previous_active_sub_partners_count, 0) as previous_active_sub_partners_count,
        coalesce(sub_partner_counts.retained_sub_partners_count, 0) as retained_sub_partners_count,
        {{ period_rate('sub_partner_counts.retained_sub_partners_count', 'sub_partner_counts.previous_active_sub_partners_count', 'periods.is_partial_period') }}
            as sub_partner_retention_rate,
        cast({{ var('two_tier_override_rate') }} as {{ type_double() }}) as override_rate,
        -- A parent terminated before the period began earns no override on it.
        cast(
            case
                when partners.terminated_date < parent_months.month_start_date then 0
                else round(coalesce(sub_partner_counts.sub_partner_net_revenue_reporting, 0) * {{ var('two_tier_override_rate') }}, 4)
            end as decimal(38, 4)
        ) as second_tier_commission_reporting,
        coalesce(tree_depths.tree_depth, 0) as tree_depth,
        '{{ var("reporting_currency") }}' as reporting_currency,
        periods.as_of_date
    from parent_months
    inner join periods on parent_months.month_start_date = periods.month_start_date
    left join sub_partner_counts
        on parent_months.parent_partner_id = sub_partner_counts.parent_partner_id
        and parent_months.month_start_date = sub_partner_counts.month_start_date
    left join partners on parent_months.parent_partner_id = partners.partner_id
    left join tree_depths on parent_months.parent_partner_id = tree_depths.partner_id
)

select * from final
