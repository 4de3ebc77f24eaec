{#- Functions the parse macros call on engines without a try_cast (parse_date, parse_number, parse_integer,
    parse_double, parse_timestamp_utc), created by an on-run-start hook in the target's own schema: a value the
    engine cannot cast becomes null (the row is then quarantined, as on DuckDB) instead of failing the build. Only
    data errors (SQLSTATE class 22) are caught. DuckDB has try_cast and needs none. -#}
{% macro create_cast_functions() -%}
    {{ return(adapter.dispatch('create_cast_functions', 'partner_retention')()) }}
{%- endmacro %}

{% macro default__create_cast_functions() -%}
    select 1
{%- endmacro %}

{#- The timestamp function runs in UTC whatever the session's TimeZone: text without an offset is UTC time, as on
    DuckDB (docs/data-contract.md). -#}
{% macro postgres__create_cast_functions() -%}
    create or replace function {{ target.schema }}.pra_try_date(value text) returns date
    language plpgsql immutable as $$
    begin
        return cast(value as date);
    exception when data_exception then
        return null;
    end $$;
    create or replace function {{ target.schema }}.pra_try_decimal_18_4(value text) returns numeric(18, 4)
    language plpgsql immutable as $$
    begin
        return cast(value as numeric(18, 4));
    exception when data_exception then
        return null;
    end $$;
    create or replace function {{ target.schema }}.pra_try_integer(value text) returns integer
    language plpgsql immutable as $$
    begin
        return cast(value as integer);
    exception when data_exception then
        return null;
    end $$;
    create or replace function {{ target.schema }}.pra_try_double(value text) returns double precision
    language plpgsql immutable as $$
    begin
        return cast(value as double precision);
    exception when data_exception then
        return null;
    end $$;
    create or replace function {{ target.schema }}.pra_try_timestamp_utc(value text) returns timestamp
    language plpgsql immutable set timezone = 'UTC' as $$
    begin
        return cast(value as timestamptz) at time zone 'UTC';
    exception when data_exception then
        return null;
    end $$
{%- endmacro %}
