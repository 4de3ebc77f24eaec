{#- Pre-hook of the incremental partner-period models (one row per partner_id x month_start_date): delete every
    row a window run changed, so the model inserts exactly the rows missing from its table.
    Deleted: each partner's periods from its first changed period (macro first_changed_partner_periods), and, with
    a `spine`, rows no longer on the partner-period spine.
    With a spine, a new spine row (a new period, a new partner) is missing from the table, so it is computed too.
    Without one (a model with rows only where the partner had transactions), the model computes the deleted
    periods from their transactions. A no-op on a full build.
    Only for a model whose rows depend on nothing but the converted transactions of their partner and the spine:
    a row that depends on the as-of date, or on another entity, is not deleted when that changes.
    `spine`: the relation holding the model's partner-periods, or none. -#}
{% macro delete_changed_partner_periods(spine=none) -%}
    {%- if is_incremental() and has_partition_window() -%}
        delete from {{ this }} as built
        where
            {%- if spine is not none %}
            not exists (
                select 1 from {{ spine }} as spine
                where spine.partner_id = built.partner_id and spine.month_start_date = built.month_start_date
            )
            or
            {%- endif %}
            exists (
                select 1
                from ({{ first_changed_partner_periods() }}) as changed
                where changed.partner_id = built.partner_id and built.month_start_date >= changed.month_start_date
            )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Each partner whose converted transactions a window run added, removed or changed (model
    int_transactions_changed: a late-arriving row or a refund can count in an older period, and a window's days
    delivered again unchanged change nothing), with the first period (by revenue date) any of them counts in: the
    partner's periods from there on are the ones the run changed. -#}
{% macro first_changed_partner_periods() -%}
    select partner_id, min(month_start_date) as month_start_date
    from {{ ref('int_transactions_changed') }}
    group by partner_id
{%- endmacro %}
