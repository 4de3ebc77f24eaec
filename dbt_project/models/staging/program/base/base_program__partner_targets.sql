-- Every partner_targets row, typed and judged against the landing contract, incremental on whole landing partitions
-- (macro judge_landing_window).
with

{{ judge_landing_window('partner_targets', partners=ref('base_program__partners')) }}

select * from judged
