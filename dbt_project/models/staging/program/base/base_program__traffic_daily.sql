-- Every traffic_daily row, typed and judged against the landing contract, incremental on whole landing partitions
-- like base_program__transactions (macro judge_landing_window): a nightly run parses and judges only its window's
-- rows (and the rows outside it it judges again), against the history already judged here.
with

{{ judge_landing_window('traffic_daily', partners=ref('base_program__partners')) }}

select * from judged
