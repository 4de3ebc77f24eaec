-- Every payouts row, typed and judged against the landing contract (macro judge_rows).
with

{{ judge_rows('payouts', partners=ref('base_program__partners'), fx_rates=ref('base_program__fx_rates')) }}

select * from judged
