-- Every nps_responses row, typed and judged against the landing contract (macro judge_rows).
with

{{ judge_rows('nps_responses', partners=ref('base_program__partners')) }}

select * from judged
