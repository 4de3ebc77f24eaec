-- Partner x period: the end customers with a sale in the trailing 12 months (the period and the periods before it
-- in one year), how many bought on 2 or more distinct days, and their net revenue in the window (by revenue date).
-- Sale days in different periods are different days, so a window's sale days are the sum over its periods.
--
-- A full build, without fanning each customer-period out to the 12 windows it falls in: a customer's trailing
-- sums change only in a period where one of its periods enters the window (the period itself) or leaves it (a year
-- later). Each change point gets the customer's trailing sums there and in the period before it (range frames over
-- the customer's own periods, one window pass), the customer's contribution to its partner (counted, repeat,
-- revenue) changes by the difference, and a running sum of the changes per partner gives every period's totals.
-- Both changes of a customer-period are summed on its own row, grouped by its partner and period: work grows with
-- the customer-periods, not x 12 (nor x 2, a row per change point).
--
-- Incremental per changed period in a window run: the pre-hook deletes each partner's periods the run may have
-- changed (macro delete_changed_partner_periods), and the model computes only the spine rows missing from its
-- table, from the transactions of the year before each partner's first missing period on. A customer's totals
-- at a period depend only on that year. A partner missing at most `direct_periods` periods (a nightly window
-- misses two or three) gets them directly: each customer-period joins the missing periods whose year holds it,
-- at most that many rows, with no sort. A partner missing more (a long backfill) gets them from the change
-- points, whose running sum from there gives the same totals (the change points before the first missing period
-- carry no period older than its year). Measured on 100,000 partners (docs/benchmarks.md).
-- depends_on: {{ ref('int_transactions_changed') }}
{%- set direct_periods = 4 %}
{%- set year = periods_per_year() %}
{%- set customer_order = 'partition by partner_id, customer_id order by period_number' %}
{{
    config(
        materialized=windowed_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_partner_periods(ref('int_partner_months_spined')) }}",
    )
}}
with

{% if is_incremental() %}
-- The spine rows this run computes: those the pre-hook deleted, and new ones (a new period, a new partner).
missing_partner_months as (
    select spine.partner_id, spine.month_start_date
    from {{ ref('int_partner_months_spined') }} as spine
    where not exists (
        select 1 from {{ this }} as built
        where built.partner_id = spine.partner_id and built.month_start_date = spine.month_start_date
    )
),

-- Each partner's transactions from a year before its first missing period on (by revenue date), and whether it
-- misses few enough periods to get them directly.
reads_from as (
    select
        partner_id,
        cast({{ period_add(-(periods_per_year() - 1), 'min(month_start_date)') }} as date) as first_read_date,
        count(*) <= {{ direct_periods }} as is_direct
    from missing_partner_months
    group by partner_id
),

transactions as (
    select converted.*, reads_from.is_direct
    from {{ ref('int_transactions_converted') }} as converted
    inner join reads_from
        on converted.partner_id = reads_from.partner_id
        and converted.revenue_date >= reads_from.first_read_date
),

direct_partner_months as (
    select missing_partner_months.*
    from missing_partner_months
    inner join reads_from on missing_partner_months.partner_id = reads_from.partner_id
    where reads_from.is_direct
),

partner_months as (
    select missing_partner_months.*
    from missing_partner_months
    inner join reads_from on missing_partner_months.partner_id = reads_from.partner_id
    where not reads_from.is_direct
),
{% else %}
transactions as (
    select *, false as is_direct from {{ ref('int_transactions_converted') }}
),

partner_months as (
    select * from {{ ref('int_partner_months_spined') }}
),
{% endif %}

customer_periods as (
    select
        partner_id,
        customer_id,
        cast({{ period_trunc('revenue_date') }} as date) as month_start_date,
        is_direct,
        count(distinct case when kind = 'sale' then occurred_date end) as sale_day_count,
        sum(net_amount_reporting) as net_revenue_reporting
    from transactions
    group by partner_id, customer_id, cast({{ period_trunc('revenue_date') }} as date), is_direct
),

-- The trailing sums at and just before each change point, from the customer's own periods (frames in periods). At an
-- own period p: the year to p, and the year to p - 1. At the leaving point p + year (unless that is an own period,
-- whose own row covers it): the periods p + 1 to p + year - 1, and those with p itself.
customer_years as (
    select
        *,
        sum(sale_day_count) over ({{ customer_order }} range between {{ year - 1 }} preceding and current row)
            as sale_day_count_to_period,
        sum(net_revenue_reporting) over ({{ customer_order }} range between {{ year - 1 }} preceding and current row)
            as net_revenue_to_period,
        sum(sale_day_count) over ({{ customer_order }} range between {{ year }} preceding and 1 preceding)
            as sale_day_count_to_previous_period,
        sum(net_revenue_reporting) over ({{ customer_order }} range between {{ year }} preceding and 1 preceding)
            as net_revenue_to_previous_period,
        sum(sale_day_count) over ({{ customer_order }} range between 1 following and {{ year - 1 }} following)
            as sale_day_count_after_period,
        sum(net_revenue_reporting) over ({{ customer_order }} range between 1 following and {{ year - 1 }} following)
            as net_revenue_after_period,
        count(*) over ({{ customer_order }} range between {{ year }} following and {{ year }} following) > 0
            as has_period_a_year_later
    from (
        select
            *,
            {{ period_diff("cast('1970-01-01' as date)", 'month_start_date') }} as period_number
        from customer_periods
        where not is_direct
    ) as numbered
),

-- What each customer's contribution to its partner's totals (counted, repeat, revenue) changes by where its period
-- enters the trailing year (the year sums at p against those just before) and, unless a period a year later is an
-- own period too, where it leaves it a year later (the periods after p against those with p itself). Both are
-- grouped by the customer-period's own partner and period in one pass, without a row per change point; the leaving
-- changes move a year on below.
{%- set change_points = [
    {
        'name': 'entering', 'when': none, 'periods_later': 0,
        'days': 'sale_day_count_to_period', 'revenue': 'net_revenue_to_period',
        'previous_days': 'coalesce(sale_day_count_to_previous_period, 0)',
        'previous_revenue': 'coalesce(net_revenue_to_previous_period, 0)',
    },
    {
        'name': 'leaving', 'when': 'not has_period_a_year_later', 'periods_later': year,
        'days': 'coalesce(sale_day_count_after_period, 0)', 'revenue': 'coalesce(net_revenue_after_period, 0)',
        'previous_days': 'sale_day_count + coalesce(sale_day_count_after_period, 0)',
        'previous_revenue': 'net_revenue_reporting + coalesce(net_revenue_after_period, 0)',
    },
] %}
{#- Each total (the one home of its rule, for the change points and the direct path alike): the least sale days in
    the year that count a customer in, what a counted customer adds (1, or its revenue), and its column made from the
    sum (`typed`: a count is a bigint); `name` is its change. #}
{%- set count_typed = 'cast(%s as ' ~ dbt.type_bigint() ~ ')' %}
{%- set measures = [
    {
        'total': 'trailing_12m_customer_count', 'name': 'customer_count_change', 'min_days': 1, 'value': none,
        'typed': count_typed,
    },
    {
        'total': 'trailing_12m_repeat_customer_count', 'name': 'repeat_customer_count_change', 'min_days': 2,
        'value': none, 'typed': count_typed,
    },
    {
        'total': 'trailing_12m_customer_net_revenue_reporting', 'name': 'net_revenue_change', 'min_days': 1,
        'value': 'revenue', 'typed': '%s',
    },
] %}
own_period_changes as (
    select
        partner_id,
        month_start_date
        {%- for point in change_points %}
        {%- for measure in measures %},
        sum(
            {% if point.when %}case when {{ point.when }} then {% endif -%}
            case when {{ point.days }} >= {{ measure.min_days }}
                then {{ point[measure.value] if measure.value else 1 }} else 0 end
            - case when {{ point.previous_days }} >= {{ measure.min_days }}
                then {{ point['previous_' ~ measure.value] if measure.value else 1 }} else 0 end
            {%- if point.when %} else 0 end{% endif %}
        ) as {{ point.name }}_{{ measure.name }}
        {%- endfor %}
        {%- endfor %}
    from customer_years
    group by partner_id, month_start_date
),

-- What the partner's totals change by at each change point: the entering changes at their period, the leaving
-- changes a year later.
partner_changes as (
    select
        partner_id,
        month_start_date
        {%- for measure in measures %},
        sum({{ measure.name }}) as {{ measure.name }}
        {%- endfor %}
    from (
        {%- for point in change_points %}
        select
            partner_id,
            {% if point.periods_later -%}
            cast({{ period_add(point.periods_later, 'month_start_date') }} as date)
            {%- else %}month_start_date{% endif %} as month_start_date
            {%- for measure in measures %},
            {{ point.name }}_{{ measure.name }} as {{ measure.name }}
            {%- endfor %}
        from own_period_changes
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as changes
    group by partner_id, month_start_date
),

-- The spine's periods and the change points, one timeline per partner; the running sum is each period's totals.
partner_windows as (
    select
        coalesce(partner_months.partner_id, partner_changes.partner_id) as partner_id,
        coalesce(partner_months.month_start_date, partner_changes.month_start_date) as month_start_date,
        partner_months.partner_id is not null as is_spine_period
        {%- for measure in measures %}
        {%- set summed %}sum(coalesce(partner_changes.{{ measure.name }}, 0)) over partner_timeline{% endset %},
        {{ measure.typed | format(summed) }} as {{ measure.total }}
        {%- endfor %}
    from partner_months
    full outer join partner_changes
        on partner_months.partner_id = partner_changes.partner_id
        and partner_months.month_start_date = partner_changes.month_start_date
    window partner_timeline as (
        partition by coalesce(partner_months.partner_id, partner_changes.partner_id)
        order by coalesce(partner_months.month_start_date, partner_changes.month_start_date)
        rows between unbounded preceding and current row
    )
),

change_point_totals as (
    select
        partner_id,
        month_start_date
        {%- for measure in measures %},
        {{ measure.total }}
        {%- endfor %}
    from partner_windows
    where is_spine_period
),

{% if is_incremental() %}
-- A partner missing few periods: each customer's sums over each missing period's year, then the partner's totals.
direct_customer_windows as (
    select
        direct_partner_months.partner_id,
        direct_partner_months.month_start_date,
        customer_periods.customer_id,
        sum(customer_periods.sale_day_count) as sale_day_count,
        sum(customer_periods.net_revenue_reporting) as net_revenue_reporting
    from direct_partner_months
    inner join customer_periods
        on direct_partner_months.partner_id = customer_periods.partner_id
        and customer_periods.is_direct
        and customer_periods.month_start_date <= direct_partner_months.month_start_date
        and customer_periods.month_start_date
            >= cast({{ period_add(-(periods_per_year() - 1), 'direct_partner_months.month_start_date') }} as date)
    group by direct_partner_months.partner_id, direct_partner_months.month_start_date, customer_periods.customer_id
),

direct_totals as (
    select
        direct_partner_months.partner_id,
        direct_partner_months.month_start_date
        {%- for measure in measures %}
        {%- set summed -%}
            coalesce(sum(case when windows.sale_day_count >= {{ measure.min_days }}
                then {{ 'windows.net_revenue_reporting' if measure.value else 1 }} end), 0)
        {%- endset %},
        {{ measure.typed | format(summed) }} as {{ measure.total }}
        {%- endfor %}
    from direct_partner_months
    left join direct_customer_windows as windows
        on direct_partner_months.partner_id = windows.partner_id
        and direct_partner_months.month_start_date = windows.month_start_date
    group by direct_partner_months.partner_id, direct_partner_months.month_start_date
),
{% endif %}

final as (
    select * from change_point_totals
    {% if is_incremental() %}
    union all
    select * from direct_totals
    {% endif %}
)

select * from final
