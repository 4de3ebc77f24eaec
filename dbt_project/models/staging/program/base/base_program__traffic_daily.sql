-- Every traffic_daily row, typed and judged against the landing contract (macro judge_rows).
with

{{ judge_rows('traffic_daily', partners=ref('base_program__partners')) }}

select * from judged
