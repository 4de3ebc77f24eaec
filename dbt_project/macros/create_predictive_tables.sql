{#- The tables the predictive fit writes (orchestration/defs/predictive/assets.py appends to them by column name;
    docs/metrics.md "Predictive partner health"), created empty when missing by an on-run-start hook: the dbt
    sources exist before the first fit, so an ad-hoc `dbt build` works on a fresh warehouse. The one home of their
    columns. fit_runs: every fit attempt (converged or not); partner_scores: the scores of converged fits only. -#}
{% macro create_predictive_tables() -%}
    create schema if not exists predictive;
    create table if not exists predictive.fit_runs (
        fit_date date not null,
        fitted_at timestamp not null,
        method varchar not null,
        is_converged boolean not null,
        message varchar,
        partners_count integer not null,
        repeat_partners_count integer not null,
        r double precision,
        alpha double precision,
        a double precision,
        b double precision,
        p double precision,
        q double precision,
        v double precision,
        log_likelihood double precision,
        ltv_months integer not null,
        annual_discount_rate double precision not null,
        seconds double precision not null
    );
    create table if not exists predictive.partner_scores (
        fit_date date not null,
        partner_id varchar not null,
        p_alive double precision not null,
        p_sale_90d double precision not null,
        expected_sales_90d double precision not null,
        expected_sales_12m double precision not null,
        expected_avg_net_value double precision not null,
        expected_net_revenue_12m double precision not null,
        predictive_ltv double precision not null,
        p_alive_low double precision,
        p_alive_high double precision,
        predictive_ltv_low double precision,
        predictive_ltv_high double precision
    )
{%- endmacro %}
