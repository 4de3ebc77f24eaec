{#-
    Rows outside the run's window that it judges again, as filters on an entity's judged or raw rows:
    - the rows of later partitions whose key (the entity's contract key, typed) also occurs in the window's raw rows:
      a backfill of an older day may bring a key's first occurrence, which makes the later row a duplicate_key.
      None in a nightly run (no partition comes after its window), nor for a snapshot entity (contract `snapshot`):
      its key is unique within one snapshot only, so an older snapshot never changes a later one's judgment;
    - for an entity checked against the partners (contract `partner_checked`), the rows of the partners whose first
      valid snapshot lands in the window (macro window_newcomers): rows delivered before it were quarantined as
      unknown_partner and are staged now, whichever day they landed on.
    `typed`: the filtered relation holds the typed columns (a judged model), not the raw text.

    Returns the filters by side of the window, {'after': ..., 'before': ...} (a side without rows is left out): two
    disjoint conjunctions, each starting with its partitions. Readers take one `union all` branch (macro
    window_rows) or one delete (macro delete_rows_rejudged_outside_window) per side, so each side's partition bound
    and semi join reach the table scan: a nightly run reads no partition after its window. One `or` of both sides
    over every partition made DuckDB read and trim every raw row of the entity's history (about 12 s for the 45 M
    transactions of the large benchmark, docs/benchmarks.md).
-#}
{% macro rows_rejudged_outside_window(entity, typed=true) -%}
    {%- set contract = landing_contract(entity) -%}
    {%- set after = [] -%}
    {%- if not contract.meta.get('snapshot') -%}
        {%- set key_in_window -%}
            ({{ contract_key_values(entity, raw=not typed) }}) in (
                select {{ contract_key_values(entity, raw=true) }} from {{ source('program', entity) }}
                where {{ partition_window_predicate() }}
            )
        {%- endset -%}
        {%- do after.append(key_in_window) -%}
    {%- endif -%}
    {%- set newcomer = none -%}
    {%- if contract.meta.get('partner_checked') -%}
        {%- set newcomer -%}
            {{ contract_typed_value('partner_id', contract.columns['partner_id'].type) if not typed else 'partner_id' }}
            in ({{ window_newcomers() }})
        {%- endset -%}
        {%- do after.append(newcomer) -%}
    {%- endif -%}
    {%- set filters = {} -%}
    {%- if after -%}
        {%- do filters.update({'after': "_partition_date >= cast('" ~ run_var("max_date") ~ "' as date)\n        and ("
            ~ after | join("\n        or ") ~ ")"}) -%}
    {%- endif -%}
    {%- if newcomer -%}
        {%- do filters.update({'before': "_partition_date < cast('" ~ run_var("min_date") ~ "' as date)\n        and "
            ~ newcomer}) -%}
    {%- endif -%}
    {{ return(filters) }}
{%- endmacro %}

{#- The partners whose first valid snapshot lands in the run's window (judged model base_program__partners, built
    before the models that read this). -#}
{% macro window_newcomers() -%}
    select partner_id from {{ ref('base_program__partners') }}
    where rejection_reason is null
    group by partner_id
    having min(_partition_date) >= cast('{{ run_var("min_date") }}' as date)
        and min(_partition_date) < cast('{{ run_var("max_date") }}' as date)
{%- endmacro %}

{#- The entity's contract key columns, comma-separated: as typed columns, or typed from their raw text. -#}
{% macro contract_key_values(entity, raw) -%}
    {%- set contract = landing_contract(entity) -%}
    {%- for name in contract.meta.get('key', []) -%}
        {{ contract_typed_value(name, contract.columns[name].type) if raw else name }}{% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}
