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
        {{ validity_range('currency', 'rate_date', open_start='1900-01-01') }}
    from rates
)

select * from ranged
