-- Partner counts must reconcile in every month and dimension value: S + N - churned + reactivated = E.
-- Returns the rows where they do not.
select *
from {{ ref('fct_retention_monthly') }}
where partners_start_count + partners_new_count - partners_churned_count + partners_reactivated_count
    <> partners_end_count
