-- The two-tier program per period (docs/metrics.md "Two-tier programs"): parents, sub-partners and their revenue,
-- the sub-partners' share of the program's net revenue, their pooled retention, the second-tier commission owed and
-- the deepest tree. One row for every period from the first with transaction data, zeros without sub-partners.
with

parents as (
    select * from {{ ref('fct_two_tier_monthly') }}
),

partner_months as (
    select * from {{ ref('int_partner_months_aggregated') }}
),

program_months as (
    select * from {{ ref('int_program_months_spined') }}
),

program as (
    select
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.is_partial_period,
        partner_months.as_of_date,
        sum(partner_months.net_revenue_reporting) as program_net_revenue_reporting
    from partner_months
    inner join program_months on partner_months.month_start_date = program_months.month_start_date
    group by
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.is_partial_period,
        partner_months.as_of_date
),

totals as (
    select
        month_start_date,
        count(case when sub_partners_count > 0 then 1 end) as parents_count,
        count(case when active_sub_partners_count > 0 then 1 end) as parents_with_active_sub_partners_count,
        sum(sub_partners_count) as sub_partners_count,
        sum(active_sub_partners_count) as active_sub_partners_count,
        sum(sub_partner_net_revenue_reporting) as sub_partner_net_revenue_reporting,
        sum(previous_active_sub_partners_count) as previous_active_sub_partners_count,
        sum(retained_sub_partners_count) as retained_sub_partners_count,
        sum(second_tier_commission_reporting) as second_tier_commission_reporting,
        max(case when sub_partners_count > 0 then tree_depth end) as max_tree_depth
    from parents
    group by month_start_date
),

final as (
    select
        program.month_start_date,
        program.next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        program.is_partial_period,
        coalesce(totals.parents_count, 0) as parents_count,
        coalesce(totals.parents_with_active_sub_partners_count, 0) as parents_with_active_sub_partners_count,
        cast(coalesce(totals.sub_partners_count, 0) as bigint) as sub_partners_count,
        cast(coalesce(totals.active_sub_partners_count, 0) as bigint) as active_sub_partners_count,
        cast(coalesce(totals.sub_partner_net_revenue_reporting, 0) as decimal(38, 4)) as sub_partner_net_revenue_reporting,
        cast(program.program_net_revenue_reporting as decimal(38, 4)) as program_net_revenue_reporting,
        {{ period_rate('totals.sub_partner_net_revenue_reporting', 'program.program_net_revenue_reporting', 'program.is_partial_period') }}
            as sub_partner_revenue_share,
        cast(coalesce(totals.previous_active_sub_partners_count, 0) as bigint) as previous_active_sub_partners_count,
        cast(coalesce(totals.retained_sub_partners_count, 0) as bigint) as retained_sub_partners_count,
        {{ period_rate('totals.retained_sub_partners_count', 'totals.previous_active_sub_partners_count', 'program.is_partial_period') }}
            as sub_partner_retention_rate,
        cast(coalesce(totals.second_tier_commission_reporting, 0) as decimal(38, 4)) as second_tier_commission_reporting,
        coalesce(totals.max_tree_depth, 0) as max_tree_depth,
        cast({{ var('two_tier_override_rate') }} as {{ type_double() }}) as override_rate,
        '{{ var("reporting_currency") }}' as reporting_currency,
        program.as_of_date
    from program
    left join totals on program.month_start_date = totals.month_start_date
)

select * from final
