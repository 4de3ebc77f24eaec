{#- Pre-hook of the models incremental per changed partner (rows keyed by partner_id, each computed from nothing but
    its partner's converted transactions): delete every row of a partner a window run may have changed, so the model
    inserts exactly the partners missing from its table. Deleted: the partners of any converted transaction the run
    added, removed or changed (model int_transactions_changed). `as_of_dated`: the rows count the transactions up to
    the as-of date, which they carry as `as_of_date`; then also the partners with a transaction dated between the
    table's as-of date and the run's (either way: a backfill may move the as-of date back), and the kept rows depend
    on the as-of date only through the columns the model's post-hook sets (macro update_as_of_date). A no-op on a
    full build. -#}
{% macro delete_changed_partners(as_of_dated) -%}
    {%- if is_incremental() and has_partition_window() -%}
        delete from {{ this }}
        where partner_id in (select partner_id from {{ ref('int_transactions_changed') }})
        {%- if as_of_dated %}
            or partner_id in (
                select converted.partner_id
                from {{ ref('int_transactions_converted') }} as converted
                cross join (
                    select min(as_of_date) as first_as_of_date, max(as_of_date) as last_as_of_date from {{ this }}
                ) as built
                where (converted.occurred_date > built.first_as_of_date or converted.occurred_date > {{ as_of_date() }})
                    and (converted.occurred_date <= built.last_as_of_date or converted.occurred_date <= {{ as_of_date() }})
            )
        {%- endif %}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of the models incremental per changed partner: the rows kept from earlier runs take the run's as-of
    date and the columns that follow from it alone (`assignments`: column name -> SQL expression). A no-op on a
    full build, and on the rows this run inserted. -#}
{% macro update_as_of_date(assignments) -%}
    {%- if is_incremental() and has_partition_window() -%}
        update {{ this }}
        set as_of_date = {{ as_of_date() }}
            {%- for column, expression in assignments.items() %}, {{ column }} = {{ expression }}{% endfor %}
        where as_of_date <> {{ as_of_date() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
