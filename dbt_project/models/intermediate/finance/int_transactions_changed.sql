-- The converted transactions a window run added, removed or changed, one row per changed row: its partner and its
-- period by revenue date. The window's rows before the run (model int_transactions_replaced) against the same rows
-- after it (macro window_row_fingerprints): a row in one read and not in the other is a fingerprint counted a
-- different number of times. The window's days delivered again row for row give no row. Built once per run and
-- read by the pre-hooks of the models incremental per changed period or partner (macros
-- delete_changed_partner_periods and delete_changed_partners). Empty on a full build, which rebuilds them all, and
-- when none of the models that read it has a table yet (a new warehouse's first run, even one over a window): each
-- is then built in full and nothing reads the rows, which on a three-year first load are every transaction.
-- depends_on: {{ ref('int_transactions_converted') }}
-- depends_on: {{ ref('int_transactions_replaced') }}
-- The partners whose first snapshot the window brings (macro window_newcomers).
-- depends_on: {{ ref('base_program__partners') }}
{{ config(materialized='table') }}

{%- set readers = namespace(built=false) -%}
{%- if execute -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and model.unique_id in node.depends_on.nodes -%}
        {%- if adapter.get_relation(node.database, node.schema, node.alias) is not none -%}
            {%- set readers.built = true -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

{% if windowed_materialization() == 'incremental' and not flags.FULL_REFRESH and readers.built %}
select partner_id, month_start_date
from (
    select partner_id, month_start_date, row_fingerprint, 1 as side
    from ({{ window_row_fingerprints(ref('int_transactions_converted')) }}) as after_run
    union all
    select partner_id, month_start_date, row_fingerprint, -1 as side
    from {{ ref('int_transactions_replaced') }}
) as both_reads
group by partner_id, month_start_date, row_fingerprint
having sum(side) <> 0
{% else %}
select
    cast(null as {{ dbt.type_string() }}) as partner_id,
    cast(null as date) as month_start_date
where 1 = 0
{% endif %}
