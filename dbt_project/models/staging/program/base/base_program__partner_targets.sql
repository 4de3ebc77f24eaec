-- Every partner_targets row, typed and judged against the landing contract (macro judge_rows).
with

{{ judge_rows('partner_targets', partners=ref('base_program__partners')) }}

select * from judged
