-- Every partners row, typed and judged against the landing contract (macro judge_rows).
with

{{ judge_rows('partners') }}

select * from judged
