-- Every fx_rates row, typed and judged against the landing contract (macro judge_rows).
with

{{ judge_rows('fx_rates') }}

select * from judged
