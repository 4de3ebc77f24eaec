-- Every nps_responses row, typed and judged against the landing contract, incremental on whole landing partitions
-- (macro judge_landing_window).
with

{{ judge_landing_window('nps_responses', partners=ref('base_program__partners')) }}

select * from judged
