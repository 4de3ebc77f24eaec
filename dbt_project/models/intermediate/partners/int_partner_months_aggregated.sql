-- Partner x period facts over a complete period spine (month, or quarter with var period_grain): revenue in the
-- reporting currency, activity, leads, and the partner's attributes valid at the period. Published as
-- fct_partner_monthly; the retention models read it here so no intermediate model depends on a mart.
with

partner_months as (
    select * from {{ ref('int_partner_months_spined') }}
),

revenue as (
    select * from {{ ref('int_partner_months_revenue') }}
),

leads as (
    select * from {{ ref('stg_program__leads') }}
),

leads_created as (
    select
        partner_id,
        {{ period_trunc('created_at') }} as month_start_date,
        count(*) as leads_created
    from leads
    group by partner_id, {{ period_trunc('created_at') }}
),

leads_converted as (
    select
        partner_id,
        {{ period_trunc('converted_at') }} as month_start_date,
        count(*) as leads_converted
    from leads
    where is_converted and converted_at is not null
    group by partner_id, {{ period_trunc('converted_at') }}
),

joined as (
    select
        partner_months.partner_id,
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.region,
        partner_months.partner_type,
        partner_months.ecosystem,
        coalesce(revenue.gross_revenue_reporting, 0) as gross_revenue_reporting,
        coalesce(revenue.refunds_reporting, 0) as refunds_reporting,
        coalesce(revenue.net_revenue_reporting, 0) as net_revenue_reporting,
        coalesce(revenue.commission_reporting, 0) as commission_reporting,
        coalesce(revenue.sale_count, 0) as sale_count,
        coalesce(revenue.refund_count, 0) as refund_count,
        coalesce(leads_created.leads_created, 0) as leads_created,
        coalesce(leads_converted.leads_converted, 0) as leads_converted
    from partner_months
    left join revenue
        on partner_months.partner_id = revenue.partner_id
        and partner_months.month_start_date = revenue.month_start_date
    left join leads_created
        on partner_months.partner_id = leads_created.partner_id
        and partner_months.month_start_date = leads_created.month_start_date
    left join leads_converted
        on partner_months.partner_id = leads_converted.partner_id
        and partner_months.month_start_date = leads_converted.month_start_date
),

final as (
    select
        {{ dbt.concat(["partner_id", "'|'", dbt.safe_cast("month_start_date", api.Column.translate_type('string'))]) }}
            as partner_month_id,
        partner_id,
        month_start_date,
        next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        region,
        partner_type,
        ecosystem,
        gross_revenue_reporting,
        refunds_reporting,
        net_revenue_reporting,
        commission_reporting,
        sale_count,
        refund_count,
        leads_created,
        leads_converted,
        (sale_count > 0 and net_revenue_reporting > 0)
        {% if var('activity_includes_converted_leads') %} or leads_converted > 0{% endif %}
            as is_active,
        ({{ as_of_date() }} < {{ dbt.dateadd('day', -1, 'next_month_start_date') }}) as is_partial_period,
        '{{ var("reporting_currency") }}' as reporting_currency,
        '{{ var("refund_policy") }}' as refund_policy,
        {{ as_of_date() }} as as_of_date
    from joined
)

select * from final
