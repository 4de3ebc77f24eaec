{#- Pre-hook of the incremental partner-period models (one row per partner_id x month_start_date): delete every
    row a window run may have changed, so the model inserts exactly the spine rows missing from its table.
    Deleted: each partner's periods from the window's first period on (the as-of period grows, the window's
    days change), from the first period of any of its transactions the run replaced or added (macro
    window_partner_periods, before and after: a late-arriving row or a refund can count in an older period),
    and rows no longer on the partner-period spine. A no-op on a full build.
    `spine`: the relation holding the model's partner-periods. -#}
{% macro delete_changed_partner_periods(spine) -%}
    {%- if is_incremental() and has_partition_window() -%}
        delete from {{ this }} as built
        where built.month_start_date >= cast({{ period_trunc("cast('" ~ run_var('min_date') ~ "' as date)") }} as date)
            or not exists (
                select 1 from {{ spine }} as spine
                where spine.partner_id = built.partner_id and spine.month_start_date = built.month_start_date
            )
            or exists (
                select 1
                from (
                    select partner_id, min(month_start_date) as month_start_date
                    from (
                        {{ window_partner_periods(ref('int_transactions_converted')) }}
                        union all
                        select partner_id, month_start_date from {{ ref('int_transactions_replaced_periods') }}
                    ) as touched
                    group by partner_id
                ) as changed
                where changed.partner_id = built.partner_id and built.month_start_date >= changed.month_start_date
            )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
