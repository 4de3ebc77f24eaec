-- One row per partner and period in which it answered the NPS survey (docs/metrics.md "Partner health"): its latest
-- answer of the period (a partner answering twice counts once), the latest answer of its previous answering period,
-- the change, the share of wallet it stated last in the period, and its tier at the period.
with

responses as (
    select * from {{ ref('stg_program__nps_responses') }}
),

tiers as (
    select * from {{ ref('int_partner_months_tiered') }}
),

periodised as (
    select
        partner_id,
        cast({{ period_trunc('responded_at') }} as date) as month_start_date,
        responded_at,
        response_id,
        score,
        share_of_wallet
    from responses
),

ranked as (
    select
        *,
        row_number() over (
            partition by partner_id, month_start_date order by responded_at desc, response_id desc
        ) as answer_rank,
        -- Answers without a share rank after every answer with one, so rank 1 holds the latest stated share.
        row_number() over (
            partition by partner_id, month_start_date
            order by case when share_of_wallet is null then 1 else 0 end, responded_at desc, response_id desc
        ) as share_rank,
        count(*) over (partition by partner_id, month_start_date) as response_count
    from periodised
),

latest as (
    select
        partner_id,
        month_start_date,
        max(response_count) as response_count,
        max(case when answer_rank = 1 then score end) as score,
        max(case when share_rank = 1 then share_of_wallet end) as share_of_wallet
    from ranked
    group by partner_id, month_start_date
),

compared as (
    select
        *,
        lag(score) over (partition by partner_id order by month_start_date) as previous_score,
        lag(month_start_date) over (partition by partner_id order by month_start_date) as previous_month_start_date
    from latest
),

final as (
    select
        {{ dbt.concat(["compared.partner_id", "'|'", dbt.safe_cast("compared.month_start_date", api.Column.translate_type('string'))]) }}
            as partner_month_id,
        compared.partner_id,
        compared.month_start_date,
        cast({{ period_add(1, 'compared.month_start_date') }} as date) as next_month_start_date,
        tiers.tier,
        coalesce(tiers.trailing_12m_net_revenue_reporting, 0) as trailing_12m_net_revenue_reporting,
        cast(compared.response_count as bigint) as response_count,
        compared.score,
        case
            when compared.score >= 9 then 'promoter'
            when compared.score >= 7 then 'passive'
            else 'detractor'
        end as nps_category,
        compared.previous_month_start_date,
        compared.previous_score,
        compared.score - compared.previous_score as score_change,
        compared.share_of_wallet,
        {{ as_of_date() }} as as_of_date
    from compared
    left join tiers
        on compared.partner_id = tiers.partner_id
        and compared.month_start_date = tiers.month_start_date
)

select * from final
