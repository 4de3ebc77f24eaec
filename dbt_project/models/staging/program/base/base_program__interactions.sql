-- Every interactions row, typed and judged against the landing contract (macro judge_rows).
with

{{ judge_rows('interactions', partners=ref('base_program__partners')) }}

select * from judged
