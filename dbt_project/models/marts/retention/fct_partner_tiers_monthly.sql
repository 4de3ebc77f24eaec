-- Point-in-time tier per partner and period (docs/metrics.md "Tiers"); built in int_partner_months_tiered, which the
-- retention counts read, and published here under the model contract in _retention__models.yml.
select * from {{ ref('int_partner_months_tiered') }}
