-- Partner x period facts (docs/metrics.md "fct_partner_monthly"); built in int_partner_months_aggregated, which the
-- retention models read, and published here under the model contract in _core__models.yml; a view (macro
-- view_materialization): publication copies it into the published file like every mart.
{{ config(materialized=view_materialization()) }}
select * from {{ ref('int_partner_months_aggregated') }}
