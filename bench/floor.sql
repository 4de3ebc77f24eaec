-- The engine floor: the bench's core outputs straight from the landing files, in one DuckDB script.
-- Same definitions as the dbt models (staging quarantine rules, fx conversion, partner-month spine),
-- none of the orchestration: no raw tables, no per-model materialisation, no tests, no publication.
-- Placeholders, replaced as plain text by bench/floor.py: __LANDING__, __AS_OF__, __REPORTING_CURRENCY__ and
-- __COLUMNS:<entity>__ (the entity's columns in the landing contract's order, orchestration/lib/contract.py).
-- Reads CSV landing files of the days up to and including __AS_OF__ (refund policy: refund_period).
-- Files are read by position in the contract's column order (as the generator writes them), with the
-- CSV dialect given: unlike the pipeline's ingestion it neither sniffs each file nor matches columns by
-- name per file (union_by_name), which costs DuckDB a schema sniff of every file.

create or replace temp table raw_partners as
select
    *,
    dt as _partition_date,
    filename as _source_file,
    row_number() over (partition by filename) as _source_row
from read_csv(
    '__LANDING__/partners/dt=*/*.csv',
    columns = __COLUMNS:partners__,
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', filename = true,
    hive_partitioning = true, hive_types = {'dt': date}
)
where dt <= date '__AS_OF__';

create or replace temp table raw_transactions as
select
    *,
    dt as _partition_date,
    filename as _source_file,
    row_number() over (partition by filename) as _source_row
from read_csv(
    '__LANDING__/transactions/dt=*/*.csv',
    columns = __COLUMNS:transactions__,
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', filename = true,
    hive_partitioning = true, hive_types = {'dt': date}
)
where dt <= date '__AS_OF__';

create or replace temp table raw_leads as
select
    *,
    dt as _partition_date,
    filename as _source_file,
    row_number() over (partition by filename) as _source_row
from read_csv(
    '__LANDING__/leads/dt=*/*.csv',
    columns = __COLUMNS:leads__,
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', filename = true,
    hive_partitioning = true, hive_types = {'dt': date}
)
where dt <= date '__AS_OF__';

create or replace temp table raw_fx_rates as
select
    *,
    dt as _partition_date,
    filename as _source_file,
    row_number() over (partition by filename) as _source_row
from read_csv(
    '__LANDING__/fx_rates/dt=*/*.csv',
    columns = __COLUMNS:fx_rates__,
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', filename = true,
    hive_partitioning = true, hive_types = {'dt': date}
)
where dt <= date '__AS_OF__';

-- Partners: every snapshot row with its first rejection reason; the latest valid snapshot per partner.
create or replace temp table partners_checked as
with typed as (
    select
        trim(partner_id) as partner_id,
        try_cast(signup_date as date) as signup_date,
        lower(trim(status)) as status,
        cast(timezone('UTC', try_cast(terminated_at as timestamptz)) as timestamp) as terminated_at,
        cast(timezone('UTC', try_cast(updated_at as timestamptz)) as timestamp) as updated_at,
        signup_date as raw_signup_date,
        terminated_at as raw_terminated_at,
        updated_at as raw_updated_at,
        _partition_date as snapshot_date,
        row_number() over (
            partition by _partition_date, trim(partner_id) order by _source_file, _source_row
        ) as key_occurrence
    from raw_partners
)
select
    *,
    case
        when partner_id is null or partner_id = '' then 'missing_required_field'
        when raw_signup_date is null then 'missing_required_field'
        when status is null then 'missing_required_field'
        when signup_date is null then 'unparseable_timestamp'
        when raw_terminated_at is not null and terminated_at is null then 'unparseable_timestamp'
        when raw_updated_at is not null and updated_at is null then 'unparseable_timestamp'
        when status not in ('active', 'suspended', 'terminated') then 'invalid_value'
        when signup_date > date '__AS_OF__' then 'future_date'
        when key_occurrence > 1 then 'duplicate_key'
    end as rejection_reason
from typed;

create or replace temp table partners_latest as
select partner_id, signup_date, status, terminated_at, snapshot_date as last_snapshot_date
from partners_checked
where rejection_reason is null
qualify row_number() over (partition by partner_id order by snapshot_date desc) = 1;

-- Transactions: typed, checked in the staging order of reasons, then refunds must point at a valid sale.
create or replace temp table transactions_checked as
with typed as (
    select
        trim(t.transaction_id) as transaction_id,
        trim(t.partner_id) as partner_id,
        cast(timezone('UTC', try_cast(t.occurred_at as timestamptz)) as timestamp) as occurred_at,
        lower(trim(t.kind)) as kind,
        try_cast(t.amount as decimal(18, 4)) as amount,
        upper(trim(t.currency)) as currency,
        coalesce(try_cast(t.commission_amount as decimal(18, 4)), 0) as commission_amount,
        nullif(trim(t.refund_of), '') as refund_of,
        t.occurred_at as raw_occurred_at,
        t.amount as raw_amount,
        t.commission_amount as raw_commission_amount,
        p.partner_id is not null as is_known_partner,
        row_number() over (
            partition by trim(t.transaction_id) order by t._partition_date, t._source_file, t._source_row
        ) as key_occurrence
    from raw_transactions as t
    left join partners_latest as p on trim(t.partner_id) = p.partner_id
),

field_checked as (
    select
        *,
        case
            when transaction_id is null or transaction_id = '' then 'missing_required_field'
            when partner_id is null or partner_id = '' then 'missing_required_field'
            when raw_occurred_at is null then 'missing_required_field'
            when kind is null then 'missing_required_field'
            when raw_amount is null then 'missing_required_field'
            when currency is null then 'missing_required_field'
            when occurred_at is null then 'unparseable_timestamp'
            when kind not in ('sale', 'refund') then 'invalid_value'
            when amount is null then 'invalid_value'
            when raw_commission_amount is not null and trim(raw_commission_amount) <> ''
                and try_cast(raw_commission_amount as decimal(18, 4)) is null then 'invalid_value'
            when amount < 0 or commission_amount < 0 then 'negative_amount'
            when not regexp_full_match(currency, '[A-Z]{3}') then 'bad_currency'
            when cast(occurred_at as date) > date '__AS_OF__' then 'future_date'
            when not is_known_partner then 'unknown_partner'
            when key_occurrence > 1 then 'duplicate_key'
        end as field_reason
    from typed
),

valid_sales as (
    select transaction_id, partner_id from field_checked where field_reason is null and kind = 'sale'
)

select
    f.transaction_id,
    f.partner_id,
    f.occurred_at,
    f.kind,
    f.amount,
    f.currency,
    f.commission_amount,
    case
        when f.field_reason is not null then f.field_reason
        when f.kind = 'refund' and s.transaction_id is null then 'unknown_refund_of'
    end as rejection_reason
from field_checked as f
left join valid_sales as s on f.refund_of = s.transaction_id and f.partner_id = s.partner_id;

-- Leads: the same kind of checks; only valid leads count.
create or replace temp table leads_checked as
with typed as (
    select
        trim(l.lead_id) as lead_id,
        trim(l.partner_id) as partner_id,
        cast(timezone('UTC', try_cast(l.created_at as timestamptz)) as timestamp) as created_at,
        cast(timezone('UTC', try_cast(l.converted_at as timestamptz)) as timestamp) as converted_at,
        lower(trim(l.status)) as status,
        l.created_at as raw_created_at,
        l.converted_at as raw_converted_at,
        p.partner_id is not null as is_known_partner,
        row_number() over (
            partition by trim(l.lead_id) order by l._partition_date, l._source_file, l._source_row
        ) as key_occurrence
    from raw_leads as l
    left join partners_latest as p on trim(l.partner_id) = p.partner_id
)
select
    *,
    case
        when lead_id is null or lead_id = '' then 'missing_required_field'
        when partner_id is null or partner_id = '' then 'missing_required_field'
        when raw_created_at is null then 'missing_required_field'
        when status is null then 'missing_required_field'
        when created_at is null then 'unparseable_timestamp'
        when raw_converted_at is not null and converted_at is null then 'unparseable_timestamp'
        when status not in ('open', 'converted', 'lost') then 'invalid_value'
        when cast(created_at as date) > date '__AS_OF__' then 'future_date'
        when not is_known_partner then 'unknown_partner'
        when key_occurrence > 1 then 'duplicate_key'
    end as rejection_reason
from typed;

-- Fx: each valid rate applies from its date to the next one; the first rate also covers everything before.
create or replace temp table fx_checked as
with typed as (
    select
        try_cast(rate_date as date) as rate_date,
        upper(trim(currency)) as currency,
        try_cast(rate_to_reporting as double) as rate_to_reporting,
        rate_date as raw_rate_date,
        rate_to_reporting as raw_rate_to_reporting,
        row_number() over (
            partition by rate_date, upper(trim(currency)) order by _partition_date, _source_file, _source_row
        ) as key_occurrence
    from raw_fx_rates
)
select
    *,
    case
        when raw_rate_date is null or currency is null or raw_rate_to_reporting is null
            then 'missing_required_field'
        when rate_date is null then 'unparseable_timestamp'
        when not regexp_full_match(currency, '[A-Z]{3}') then 'bad_currency'
        when rate_to_reporting is null or rate_to_reporting <= 0 then 'invalid_value'
        when key_occurrence > 1 then 'duplicate_key'
    end as rejection_reason
from typed;

-- The rate valid on the transaction date is the latest one starting on or before it: an as-of join.
create or replace temp table transactions_converted as
with rates as (
    select
        currency,
        rate_to_reporting,
        case
            when row_number() over (partition by currency order by rate_date) = 1 then date '1900-01-01'
            else rate_date
        end as valid_from_date
    from fx_checked
    where rejection_reason is null
),

valid as (
    select *, cast(occurred_at as date) as occurred_date
    from transactions_checked
    where rejection_reason is null
),

converted as (
    select
        t.partner_id,
        t.kind,
        t.occurred_date,
        t.amount,
        t.commission_amount,
        case when t.currency = '__REPORTING_CURRENCY__' then 1 else r.rate_to_reporting end as fx_rate
    from valid as t
    asof left join rates as r on t.currency = r.currency and t.occurred_date >= r.valid_from_date
)

select
    partner_id,
    kind,
    occurred_date,
    date_trunc('month', occurred_date) as month_start_date,
    cast(round(amount * fx_rate, 4) as decimal(18, 4)) as amount_reporting,
    cast(round(case when kind = 'refund' then -amount else amount end * fx_rate, 4) as decimal(18, 4))
        as net_amount_reporting,
    cast(round(case when kind = 'refund' then -commission_amount else commission_amount end * fx_rate, 4)
        as decimal(18, 4)) as net_commission_reporting
from converted;

-- Partner-month facts over a complete spine from each partner's first month to the as-of month.
create or replace table fct_partner_monthly as
with revenue as (
    select
        partner_id,
        month_start_date,
        sum(case when kind = 'sale' then amount_reporting else 0 end) as gross_revenue_reporting,
        sum(case when kind = 'refund' then amount_reporting else 0 end) as refunds_reporting,
        sum(net_amount_reporting) as net_revenue_reporting,
        sum(net_commission_reporting) as commission_reporting,
        count(*) filter (where kind = 'sale') as sale_count,
        count(*) filter (where kind = 'refund') as refund_count
    from transactions_converted
    group by all
),

valid_leads as (
    select * from leads_checked where rejection_reason is null
),

leads_created as (
    select partner_id, date_trunc('month', created_at) as month_start_date, count(*) as leads_created
    from valid_leads
    group by all
),

leads_converted as (
    select partner_id, date_trunc('month', converted_at) as month_start_date, count(*) as leads_converted
    from valid_leads
    where status = 'converted' and converted_at is not null
    group by all
),

first_revenue as (
    select partner_id, min(month_start_date) as first_month from transactions_converted group by all
),

partner_months as (
    select
        p.partner_id,
        cast(m.month_start_date as date) as month_start_date
    from partners_latest as p
    left join first_revenue as f on p.partner_id = f.partner_id
    cross join lateral (
        select unnest(generate_series(
            least(coalesce(f.first_month, date_trunc('month', p.signup_date)), date_trunc('month', p.signup_date)),
            date_trunc('month', date '__AS_OF__'),
            interval 1 month
        )) as month_start_date
    ) as m
)

select
    pm.partner_id,
    pm.month_start_date,
    cast(pm.month_start_date + interval 1 month as date) as next_month_start_date,
    coalesce(r.gross_revenue_reporting, 0) as gross_revenue_reporting,
    coalesce(r.refunds_reporting, 0) as refunds_reporting,
    coalesce(r.net_revenue_reporting, 0) as net_revenue_reporting,
    coalesce(r.commission_reporting, 0) as commission_reporting,
    coalesce(r.sale_count, 0) as sale_count,
    coalesce(r.refund_count, 0) as refund_count,
    coalesce(lc.leads_created, 0) as leads_created,
    coalesce(lv.leads_converted, 0) as leads_converted,
    coalesce(r.sale_count, 0) > 0 and coalesce(r.net_revenue_reporting, 0) > 0 as is_active,
    date '__AS_OF__' < cast(pm.month_start_date + interval 1 month - interval 1 day as date) as is_partial_period
from partner_months as pm
left join revenue as r on pm.partner_id = r.partner_id and pm.month_start_date = r.month_start_date
left join leads_created as lc on pm.partner_id = lc.partner_id and pm.month_start_date = lc.month_start_date
left join leads_converted as lv on pm.partner_id = lv.partner_id and pm.month_start_date = lv.month_start_date;

-- Row accounting: staged vs quarantined rows per entity and reason (nothing lost, same rules).
create or replace table quarantine_summary as
select 'partners' as entity, rejection_reason, count(*) as row_count
from partners_checked where rejection_reason is not null group by all
union all
select 'transactions', rejection_reason, count(*) from transactions_checked
where rejection_reason is not null group by all
union all
select 'leads', rejection_reason, count(*) from leads_checked where rejection_reason is not null group by all
union all
select 'fx_rates', rejection_reason, count(*) from fx_checked where rejection_reason is not null group by all;

-- Retention status per partner-month (dbt int_partner_months_classified; churn after 90 days without a sale).
create or replace temp table partner_months_classified as
with activity_bounds as (
    select partner_id, month_start_date, min(occurred_date) as first_activity_date,
        max(occurred_date) as last_activity_date
    from transactions_converted
    where kind = 'sale'
    group by all
),

joined as (
    select
        pm.partner_id,
        pm.month_start_date,
        pm.next_month_start_date,
        pm.is_active,
        pm.is_partial_period,
        case when pm.is_active then a.first_activity_date end as first_activity_in_period_date,
        case when pm.is_active then a.last_activity_date end as last_activity_in_period_date,
        coalesce(cast(p.terminated_at as date), case when p.status = 'terminated' then p.last_snapshot_date end)
            as terminated_date,
        case when pm.is_partial_period then pm.month_start_date else pm.next_month_start_date end
            as churn_cutoff_date
    from fct_partner_monthly as pm
    left join activity_bounds as a on pm.partner_id = a.partner_id and pm.month_start_date = a.month_start_date
    left join partners_latest as p on pm.partner_id = p.partner_id
),

with_dates as (
    select
        *,
        coalesce(last_activity_in_period_date, previous_last_activity_date) as last_activity_date,
        cast(previous_last_activity_date + interval 90 day as date) as previous_churn_completion_date,
        cast(coalesce(last_activity_in_period_date, previous_last_activity_date) + interval 90 day as date)
            as churn_completion_date,
        coalesce(terminated_date < month_start_date, false) as is_terminated_before_period,
        coalesce(terminated_date < churn_cutoff_date, false) as is_terminated_by_period_end
    from (
        select
            *,
            max(last_activity_in_period_date) over (
                partition by partner_id order by month_start_date
                rows between unbounded preceding and 1 preceding
            ) as previous_last_activity_date
        from joined
    )
),

membership as (
    select
        *,
        previous_last_activity_date is not null and not is_terminated_before_period
            and previous_churn_completion_date >= month_start_date as is_in_base_at_start,
        last_activity_date is not null and not is_terminated_by_period_end
            and churn_completion_date >= churn_cutoff_date as is_in_base_at_end
    from with_dates
),

events as (
    select
        *,
        is_in_base_at_start and previous_churn_completion_date < churn_cutoff_date
            and (not is_active or first_activity_in_period_date > previous_churn_completion_date)
            as has_inactivity_churn,
        is_active and previous_last_activity_date is null and not is_terminated_before_period as is_new
    from membership
),

reactivations as (
    select
        *,
        is_active and previous_last_activity_date is not null and not is_terminated_before_period
            and (not is_in_base_at_start or has_inactivity_churn) as is_reactivated
    from events
)

select
    *,
    ((is_in_base_at_start and not has_inactivity_churn) or is_new or is_reactivated)
        and not is_in_base_at_end as has_termination_churn
from reactivations;

-- Point-in-time tiers (dbt fct_partner_tiers_monthly): rank on trailing-12-month net revenue among the
-- partners not terminated before the month ends; top 2% platinum, next 8% gold, next 17% silver.
create or replace table fct_partner_tiers_monthly as
with trailing_revenue as (
    select
        pm.partner_id,
        pm.month_start_date,
        pm.next_month_start_date,
        sum(pm.net_revenue_reporting) over (
            partition by pm.partner_id order by pm.month_start_date rows between 11 preceding and current row
        ) as trailing_12m_net_revenue_reporting,
        coalesce(p.signup_date, pm.month_start_date) as signup_date,
        coalesce(cast(p.terminated_at as date), case when p.status = 'terminated' then p.last_snapshot_date end)
            as terminated_date
    from fct_partner_monthly as pm
    left join partners_latest as p on pm.partner_id = p.partner_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by month_start_date
            order by trailing_12m_net_revenue_reporting desc, signup_date asc, partner_id asc
        ) as tier_rank,
        count(*) over (partition by month_start_date) as ranked_partner_count
    from trailing_revenue
    where terminated_date is null or terminated_date >= next_month_start_date
)

select
    partner_id,
    month_start_date,
    trailing_12m_net_revenue_reporting,
    tier_rank,
    case
        when trailing_12m_net_revenue_reporting <= 0 then 'bronze'
        when tier_rank <= greatest(1, floor(ranked_partner_count * 0.02)) then 'platinum'
        when tier_rank <= floor(ranked_partner_count * 0.10) then 'gold'
        when tier_rank <= floor(ranked_partner_count * 0.27) then 'silver'
        else 'bronze'
    end as tier
from ranked;

-- Retention by month, program level (dbt fct_retention_monthly, dimension 'program'), from the first month with
-- transactions (earlier months are partner signups without data; the KPIs below start there too).
create or replace table fct_retention_monthly as
select
    month_start_date,
    is_partial_period,
    count(*) filter (where is_in_base_at_start) as partners_start_count,
    count(*) filter (where is_new) as partners_new_count,
    sum(case when has_inactivity_churn then 1 else 0 end + case when has_termination_churn then 1 else 0 end)
        as partners_churned_count,
    count(*) filter (where is_reactivated) as partners_reactivated_count,
    count(*) filter (where is_in_base_at_end) as partners_end_count,
    count(*) filter (where is_in_base_at_start and is_in_base_at_end) as partners_retained_count,
    count(*) filter (where is_in_base_at_start and (has_inactivity_churn or has_termination_churn))
        as partners_start_churned_count,
    count(*) filter (where is_new and (has_inactivity_churn or has_termination_churn)) as partners_new_churned_count,
    count(*) filter (where is_active) as partners_active_count
from partner_months_classified
where month_start_date >= (select min(month_start_date) from transactions_converted)
group by all;

-- Program KPIs per month (dbt fct_program_kpis_monthly, without the revenue-bridge retention rates):
-- partner counts, net revenue, top-20% revenue share, platinum share of trailing revenue, average LTV to date.
create or replace table fct_program_kpis_monthly as
with flagged as (
    select
        *,
        month_start_date = min(month_start_date) over (partition by partner_id) as is_first_month
    from fct_partner_monthly
),

monthly_value as (
    select
        month_start_date,
        sum(net_revenue_reporting) as net_revenue_reporting,
        sum(commission_reporting) as commission_reporting,
        count(*) filter (where is_first_month) as joined_partner_count
    from flagged
    group by all
),

cumulative_value as (
    select
        month_start_date,
        net_revenue_reporting,
        sum(net_revenue_reporting * 0.700000 - commission_reporting) over (
            order by month_start_date rows between unbounded preceding and current row
        ) as cumulative_contribution_reporting,
        sum(joined_partner_count) over (
            order by month_start_date rows between unbounded preceding and current row
        ) as cumulative_partner_count
    from monthly_value
),

positive as (
    select
        month_start_date,
        cast(net_revenue_reporting as double) as revenue,
        row_number() over (partition by month_start_date order by net_revenue_reporting desc, partner_id asc)
            as revenue_rank,
        count(*) over (partition by month_start_date) as partner_count
    from fct_partner_monthly
    where net_revenue_reporting > 0
),

concentration as (
    select
        month_start_date,
        sum(case when revenue_rank <= ceiling(partner_count * 0.2) then revenue else 0 end)
            / nullif(sum(revenue), 0) as top_20_pct_revenue_share
    from positive
    group by all
),

platinum as (
    select
        month_start_date,
        case
            when sum(trailing_12m_net_revenue_reporting) > 0
                then cast(coalesce(sum(trailing_12m_net_revenue_reporting) filter (where tier = 'platinum'), 0)
                    as double) / cast(sum(trailing_12m_net_revenue_reporting) as double)
        end as platinum_revenue_share
    from fct_partner_tiers_monthly
    group by all
)

select
    r.month_start_date,
    r.is_partial_period,
    r.partners_active_count as active_partner_count,
    r.partners_new_count as new_partner_count,
    r.partners_churned_count as churned_partner_count,
    r.partners_reactivated_count as reactivated_partner_count,
    v.net_revenue_reporting,
    c.top_20_pct_revenue_share,
    p.platinum_revenue_share,
    cast(v.cumulative_contribution_reporting as double) / nullif(v.cumulative_partner_count, 0)
        as average_ltv_to_date_reporting
from fct_retention_monthly as r
inner join cumulative_value as v on r.month_start_date = v.month_start_date
left join concentration as c on r.month_start_date = c.month_start_date
left join platinum as p on r.month_start_date = p.month_start_date;
