-- A partner-month is strategic or perspective (or neither), never both (docs/metrics.md, "Segments").
-- Returns the partner-months flagged as both.
select partner_month_id
from {{ ref('fct_partner_segments_monthly') }}
where is_strategic and is_perspective
