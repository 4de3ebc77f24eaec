{#- The partner-periods (by revenue date) of the converted transactions in `relation` from the run's window's
    first partition on: what a window run adds or replaces there. Read before int_transactions_converted replaces
    its rows (model int_transactions_replaced_periods) and after (macro delete_changed_partner_periods). -#}
{% macro window_partner_periods(relation) -%}
    select distinct partner_id, cast({{ period_trunc('revenue_date') }} as date) as month_start_date
    from {{ relation }}
    where _partition_date >= cast('{{ run_var("min_date") }}' as date)
{%- endmacro %}
