{{ config(meta={'dagster': {'ref': {'name': 'stg_program__quarantine'}}}) }}
-- Nothing is lost: per entity and partition, raw rows = staged rows + quarantined rows.
-- Returns the partitions where that does not hold. One branch per entity of the landing contract; each
-- entity's staged model is stg_program__<entity> (partners: the snapshots).
-- depends_on: {{ ref('stg_program__partner_snapshots') }}, {{ ref('stg_program__transactions') }}
-- depends_on: {{ ref('stg_program__leads') }}, {{ ref('stg_program__payouts') }}
-- depends_on: {{ ref('stg_program__nps_responses') }}, {{ ref('stg_program__interactions') }}
-- depends_on: {{ ref('stg_program__fx_rates') }}, {{ source('program', 'partners') }}
-- depends_on: {{ source('program', 'transactions') }}, {{ source('program', 'leads') }}
-- depends_on: {{ source('program', 'payouts') }}, {{ source('program', 'nps_responses') }}
-- depends_on: {{ source('program', 'interactions') }}, {{ source('program', 'fx_rates') }}
-- depends_on: {{ ref('stg_program__traffic_daily') }}, {{ ref('stg_program__partner_targets') }}
-- depends_on: {{ source('program', 'traffic_daily') }}, {{ source('program', 'partner_targets') }}
{% set staged_model = {'partners': 'stg_program__partner_snapshots'} %}

with

{% for entity in landing_entities() %}
raw_{{ entity }} as (
    select '{{ entity }}' as entity, _partition_date, count(*) as raw_rows
    from {{ source('program', entity) }} group by _partition_date
),
staged_{{ entity }} as (
    select '{{ entity }}' as entity, _partition_date, count(*) as staged_rows
    from {{ ref(staged_model.get(entity, 'stg_program__' ~ entity)) }} group by _partition_date
),
{% endfor %}

raw_counts as (
    {% for entity in landing_entities() %}select * from raw_{{ entity }}{% if not loop.last %} union all {% endif %}{% endfor %}
),

staged_counts as (
    {% for entity in landing_entities() %}select * from staged_{{ entity }}{% if not loop.last %} union all {% endif %}{% endfor %}
),

quarantined_counts as (
    select entity, _partition_date, count(*) as quarantined_rows
    from {{ ref('stg_program__quarantine') }}
    group by entity, _partition_date
),

compared as (
    select
        raw_counts.entity,
        raw_counts._partition_date,
        raw_counts.raw_rows,
        coalesce(staged_counts.staged_rows, 0) as staged_rows,
        coalesce(quarantined_counts.quarantined_rows, 0) as quarantined_rows
    from raw_counts
    left join staged_counts
        on raw_counts.entity = staged_counts.entity
        and raw_counts._partition_date = staged_counts._partition_date
    left join quarantined_counts
        on raw_counts.entity = quarantined_counts.entity
        and raw_counts._partition_date = quarantined_counts._partition_date
)

select * from compared
where raw_rows <> staged_rows + quarantined_rows
