-- Every payouts row, typed and judged against the landing contract, incremental on whole landing partitions
-- (macro judge_landing_window).
with

{{ judge_landing_window('payouts', partners=ref('base_program__partners'), fx_rates=ref('base_program__fx_rates')) }}

select * from judged
