-- Zero or negative trailing revenue is never above Bronze, whatever the rank or the hysteresis says.
select *
from {{ ref('fct_partner_tiers_monthly') }}
where trailing_12m_net_revenue_reporting <= 0 and tier <> 'bronze'
