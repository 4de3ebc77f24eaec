-- Point-in-time tier per partner and period (docs/metrics.md "Tiers"); built in int_partner_months_tiered, which the
-- retention counts read, and published here under the model contract in _retention__models.yml; a view (macro
-- view_materialization): publication copies it into the published file like every mart.
{{ config(materialized=view_materialization()) }}
select * from {{ ref('int_partner_months_tiered') }}
