{#- The tables the predictive fit writes (orchestration/defs/predictive/assets.py appends to them by column name;
    docs/metrics.md "Predictive partner health"), created empty when missing by an on-run-start hook: the dbt
    sources exist before the first fit, so an ad-hoc `dbt build` works on a fresh warehouse. The one home of their
    columns. fit_runs: every fit attempt (converged or not); partner_scores: the scores of converged fits only.
    Columns added after the first release are nullable and added to an existing table (`added`): a warehouse of an
    earlier version keeps its rows, with nulls there. -#}
{% macro create_predictive_tables() -%}
    {%- set text, double = dbt.type_string(), type_double() -%}
    {%- set tables = {
        'fit_runs': {
            'columns': [
                ('fit_date', 'date not null'),
                ('fitted_at', 'timestamp not null'),
                ('method', text ~ ' not null'),
                ('is_converged', 'boolean not null'),
                ('message', text),
                ('partners_count', 'integer not null'),
                ('repeat_partners_count', 'integer not null'),
                ('r', double),
                ('alpha', double),
                ('a', double),
                ('b', double),
                ('p', double),
                ('q', double),
                ('v', double),
                ('log_likelihood', double),
                ('ltv_months', 'integer not null'),
                ('annual_discount_rate', double ~ ' not null'),
                ('seconds', double ~ ' not null'),
            ],
            'added': [
                ('is_pareto_nbd_converged', 'boolean'),
                ('pareto_nbd_r', double),
                ('pareto_nbd_alpha', double),
                ('pareto_nbd_s', double),
                ('pareto_nbd_beta', double),
                ('pareto_nbd_log_likelihood', double),
            ],
        },
        'partner_scores': {
            'columns': [
                ('fit_date', 'date not null'),
                ('partner_id', text ~ ' not null'),
                ('p_alive', double ~ ' not null'),
                ('p_sale_90d', double ~ ' not null'),
                ('expected_sales_90d', double ~ ' not null'),
                ('expected_sales_12m', double ~ ' not null'),
                ('expected_avg_net_value', double ~ ' not null'),
                ('expected_net_revenue_12m', double ~ ' not null'),
                ('predictive_ltv', double ~ ' not null'),
                ('p_alive_low', double),
                ('p_alive_high', double),
                ('predictive_ltv_low', double),
                ('predictive_ltv_high', double),
            ],
            'added': [
                ('pareto_nbd_p_alive', double),
                ('pareto_nbd_expected_sales_90d', double),
                ('pareto_nbd_expected_sales_12m', double),
            ],
        },
    } -%}
    {%- set statements = ['create schema if not exists predictive'] -%}
    {%- for name, table in tables.items() -%}
        {%- set columns = [] -%}
        {%- for column, type in table['columns'] + table['added'] -%}
            {%- do columns.append(column ~ ' ' ~ type) -%}
        {%- endfor -%}
        {%- do statements.append('create table if not exists predictive.' ~ name ~ ' (' ~ columns | join(', ') ~ ')') -%}
        {%- for column, type in table['added'] -%}
            {%- set alter = add_column_if_not_exists('predictive.' ~ name, column, type) -%}
            {%- if alter -%}
                {%- do statements.append(alter) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(run_statements(statements)) }}
{%- endmacro %}
