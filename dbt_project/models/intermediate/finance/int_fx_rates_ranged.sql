-- Each fx rate with the half-open date range it applies to: [valid_from_date, valid_to_date).
-- A transaction before a currency's first rate uses that first rate (documented in docs/metrics.md).
with

rates as (
    select * from {{ ref('stg_program__fx_rates') }}
),

ranged as (
    select
        currency,
        rate_date,
        rate_to_reporting,
        case
            when row_number() over (partition by currency order by rate_date) = 1
                then cast('1900-01-01' as date)
            else rate_date
        end as valid_from_date,
        coalesce(
            lead(rate_date) over (partition by currency order by rate_date),
            cast('9999-12-31' as date)
        ) as valid_to_date
    from rates
)

select * from ranged
