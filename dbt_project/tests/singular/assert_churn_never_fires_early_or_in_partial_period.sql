-- Right censoring: churn never fires in the current partial period, and an inactivity churn only fires
-- once churn_inactivity_days have passed since the churn date, on or before the as-of date.
select *
from {{ ref('int_partner_months_classified') }}
where (is_churned and is_partial_period)
    or (
        churn_reason = 'inactivity'
        and (
            cast({{ dbt.dateadd('day', var('churn_inactivity_days'), 'churn_date') }} as date) >= next_month_start_date
            or cast({{ dbt.dateadd('day', var('churn_inactivity_days'), 'churn_date') }} as date) > as_of_date
        )
    )
