-- The converted transactions a window run is about to replace, as fingerprints: every row of
-- int_transactions_converted from the window's first partition on, read *before* that model deletes them (macro
-- window_row_fingerprints: partner, period by revenue date, a digest of every column). The models incremental per
-- changed partner or period compare them with the same rows after the replacement (model int_transactions_changed)
-- and rebuild only the partners or periods of rows added, removed or changed: a window's
-- days delivered again row for row change nothing, while a row that leaves the window (a replaced file, a row
-- now quarantined) still marks the period it counted in, even a late-arriving row dated months before the
-- window. Empty on a full build, which rebuilds all. int_transactions_converted depends on this model, which
-- therefore runs first; it reads that model's table by name, not through ref(), which would be a cycle.
-- It has to run in the dbt step that replaces those rows: the dependency below ties it to the transactions for dbt
-- and Dagster (without one, Dagster could run it in a step of its own, before the day's load).
-- depends_on: {{ source('program', 'transactions') }}
-- The partners whose first snapshot the window brings (macro window_newcomers).
-- depends_on: {{ ref('base_program__partners') }}
{{ config(materialized='table') }}

{%- set converted = none -%}
{%- if execute and not flags.FULL_REFRESH and windowed_materialization() == 'incremental' -%}
    {%- set converted = adapter.get_relation(this.database, this.schema, 'int_transactions_converted') -%}
{%- endif %}

{% if converted is not none %}
{{ window_row_fingerprints(converted) }}
{% else %}
select
    cast(null as {{ dbt.type_string() }}) as partner_id,
    cast(null as date) as month_start_date,
    cast(null as {{ dbt.type_string() }}) as row_fingerprint
where 1 = 0
{% endif %}
