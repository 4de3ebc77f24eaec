-- Nothing is lost: per entity and partition, raw rows = staged rows + quarantined rows.
-- Returns the partitions where that does not hold.
{% set entities = {
    'partners': 'stg_program__partner_snapshots',
    'transactions': 'stg_program__transactions',
    'leads': 'stg_program__leads',
    'payouts': 'stg_program__payouts',
    'nps_responses': 'stg_program__nps_responses',
    'interactions': 'stg_program__interactions',
    'fx_rates': 'stg_program__fx_rates',
} %}

with

{% for entity, staged in entities.items() %}
raw_{{ entity }} as (
    select '{{ entity }}' as entity, _partition_date, count(*) as raw_rows
    from {{ source('program', entity) }} group by _partition_date
),
staged_{{ entity }} as (
    select '{{ entity }}' as entity, _partition_date, count(*) as staged_rows
    from {{ ref(staged) }} group by _partition_date
),
{% endfor %}

raw_counts as (
    {% for entity in entities %}select * from raw_{{ entity }}{% if not loop.last %} union all {% endif %}{% endfor %}
),

staged_counts as (
    {% for entity in entities %}select * from staged_{{ entity }}{% if not loop.last %} union all {% endif %}{% endfor %}
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
