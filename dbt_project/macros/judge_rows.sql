{#-
    The typed, judged rows of one landing entity, as CTEs ending in `judged` (and `judged_keys`, below), generated
    from the entity's contract in models/staging/program/_program__sources.yml (docs/data-contract.md, "Quarantine
    reasons"). Every contract column is typed by its `type`; parsed types keep the raw text as raw_<column> for the
    checks only: `field_checked` and the judged tables leave it out. The raw tables hold it, at the same file and
    line (`_source_file`, `_source_row`), and a second copy made every judged table wider to keep and write
    (docs/benchmarks.md). Each row gets the first failed check in the documented precedence:
      unreadable_line, missing_required_field, unparseable_timestamp, invalid_value, negative_amount,
      invalid_value of a not_above rule, bad_currency, future_date, timestamp_out_of_order, unknown_partner,
      no_fx_rate, duplicate_key
    (callers may add later checks, e.g. unknown_refund_of). Duplicates are ranked among the copies that pass
    every earlier check, so the first *valid* copy of a key wins; `history` (a relation already judged by
    this macro) holds earlier copies a window run must rank against.
    source_sql: the rows to judge (default: the whole source table). partners, fx_rates: the judged base
    relations the cross-entity checks read (the model passes them, so dbt sees the dependency at parse time).
    later_reasons: the caller's checks after duplicate_key; a history row with one of them was a valid copy.
    key_columns: the columns the caller's later checks read besides the key and lineage; they reach `judged_keys`,
    the judged rows narrowed to those columns. A check that reads `judged` more than once makes DuckDB keep every
    wide row of it a second time; `judged_keys` keeps the few columns it needs (docs/benchmarks.md).
-#}
{% macro judge_rows(entity, source_sql=none, history=none, partners=none, fx_rates=none, later_reasons=[],
                    key_columns=[], reason_alias='rejection_reason', field_alias='rejected_field') -%}
    {%- set src = source('program', entity) -%}
    {%- set contract = landing_contract(entity) -%}
    {%- set columns = contract.columns -%}
    {%- set meta = contract.meta -%}
    {%- set key = meta.get('key', []) -%}
    {%- set rank_by = (['_partition_date'] if meta.get('snapshot') else []) + key -%}
    {%- set parsed_types = ['timestamp', 'date', 'number', 'integer', 'double'] -%}
    {#- The one currency column whose values need fx rates (an entity has at most one). -#}
    {%- set converted = [] -%}
    {%- for name, c in columns.items() if c.get('converted') -%}{%- do converted.append(name) -%}{%- endfor -%}
    {#- The typed columns the checks keep, as (name, expression over `source` and the lookups), in their order. -#}
    {%- set kept = [] -%}
    {%- for name, c in columns.items() -%}
        {%- do kept.append((name, contract_typed_value('source.' ~ name, c.type))) -%}
    {%- endfor -%}
    {%- if meta.get('snapshot') -%}{%- do kept.append(('snapshot_date', 'source._partition_date')) -%}{%- endif -%}
    {%- if meta.get('partner_checked') -%}
        {%- do kept.append(('is_known_partner', 'known_partners.partner_id is not null')) -%}
    {%- endif -%}
    {%- if converted -%}{%- do kept.append(('has_fx_rate', 'rated_currencies.currency is not null')) -%}{%- endif -%}
    {%- for name in ['_partition_date', '_source_file', '_source_row', '_unreadable', '_unreadable_field'] -%}
        {%- do kept.append((name, 'source.' ~ name)) -%}
    {%- endfor -%}
    {%- if converted | length > 1 -%}
        {{ exceptions.raise_compiler_error(entity ~ ": only one column may be marked converted") }}
    {%- endif -%}
    {%- if execute and meta.get('partner_checked') and partners is none -%}
        {{ exceptions.raise_compiler_error(entity ~ ": the contract checks partner_id; pass partners=ref('base_program__partners')") }}
    {%- endif -%}
    {%- if execute and converted and fx_rates is none -%}
        {{ exceptions.raise_compiler_error(entity ~ ": the contract converts a currency; pass fx_rates=ref('base_program__fx_rates')") }}
    {%- endif -%}
    {#- A line the ingestion could not read (PRA_ON_BAD_LINES=quarantine) has no trustworthy value at all. -#}
    {%- set checks = [("_unreadable is not null", 'unreadable_line', '_unreadable_field')] -%}
    {%- for name, c in columns.items() if c.get('required') -%}
        {#- Text types are already blank-to-null when typed; parsed types are judged on their raw text. -#}
        {%- set missing = ("nullif(trim(raw_" ~ name ~ "), '') is null") if c.type in parsed_types else (name ~ " is null") -%}
        {%- do checks.append((missing, 'missing_required_field', "'" ~ name ~ "'")) -%}
    {%- endfor -%}
    {%- for name, c in columns.items() if c.type in ['timestamp', 'date'] -%}
        {%- do checks.append(("nullif(trim(raw_" ~ name ~ "), '') is not null and " ~ name ~ " is null",
                              'unparseable_timestamp', "'" ~ name ~ "'")) -%}
    {%- endfor -%}
    {%- for name, c in columns.items() -%}
        {%- if c.type in ['number', 'integer', 'double'] -%}
            {%- do checks.append(("nullif(trim(raw_" ~ name ~ "), '') is not null and " ~ name ~ " is null",
                                  'invalid_value', "'" ~ name ~ "'")) -%}
        {%- endif -%}
        {%- if c.get('allowed') -%}
            {%- do checks.append((name ~ " not in ('" ~ c.allowed | join("', '") ~ "')", 'invalid_value', "'" ~ name ~ "'")) -%}
        {%- endif -%}
        {%- if c.get('pattern') -%}
            {%- do checks.append(("not " ~ matches_pattern(name, c.pattern), 'invalid_value', "'" ~ name ~ "'")) -%}
        {%- endif -%}
        {%- if c.get('range') -%}
            {%- do checks.append((name ~ " < " ~ c.range[0] ~ " or " ~ name ~ " > " ~ c.range[1], 'invalid_value', "'" ~ name ~ "'")) -%}
        {%- endif -%}
        {%- if c.get('positive') -%}
            {%- do checks.append((name ~ " <= 0", 'invalid_value', "'" ~ name ~ "'")) -%}
        {%- endif -%}
        {%- if c.get('not_equal') -%}
            {%- do checks.append((name ~ " = " ~ c.not_equal, 'invalid_value', "'" ~ name ~ "'")) -%}
        {%- endif -%}
        {%- if c.get('month_start') -%}
            {%- do checks.append(("extract(day from " ~ name ~ ") <> 1", 'invalid_value', "'" ~ name ~ "'")) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name, c in columns.items() if c.get('non_negative') -%}
        {%- do checks.append((name ~ " < 0", 'negative_amount', "'" ~ name ~ "'")) -%}
    {%- endfor -%}
    {#- After negative_amount: a comparison with another column means something only once both pass their own checks. -#}
    {%- for name, c in columns.items() if c.get('not_above') -%}
        {%- do checks.append((name ~ " > " ~ c.not_above, 'invalid_value', "'" ~ name ~ "'")) -%}
    {%- endfor -%}
    {%- for name, c in columns.items() if c.type == 'currency' -%}
        {%- do checks.append(("not " ~ matches_pattern(name, '[A-Z]{3}'), 'bad_currency', "'" ~ name ~ "'")) -%}
    {%- endfor -%}
    {%- for name, c in columns.items() if c.get('no_future') -%}
        {%- do checks.append(("cast(" ~ name ~ " as date) > " ~ as_of_date(), 'future_date', "'" ~ name ~ "'")) -%}
    {%- endfor -%}
    {%- for name, c in columns.items() if c.get('not_before') -%}
        {%- do checks.append((name ~ " < " ~ c.not_before, 'timestamp_out_of_order', "'" ~ name ~ "'")) -%}
    {%- endfor -%}
    {%- if meta.get('partner_checked') -%}
        {%- do checks.append(("not is_known_partner", 'unknown_partner', "'partner_id'")) -%}
    {%- endif -%}
    {%- for name in converted -%}
        {%- do checks.append(("not has_fx_rate", 'no_fx_rate', "'" ~ name ~ "'")) -%}
    {%- endfor -%}

source as (
    {% if source_sql %}{{ source_sql }}{% else %}select * from {{ src }}{% endif %}
),

{% if meta.get('partner_checked') %}
known_partners as (
    select distinct partner_id from {{ partners }}
    where rejection_reason is null
),
{% endif %}

{% if converted %}
rated_currencies as (
    select distinct currency from {{ fx_rates }}
    where rejection_reason is null
    union
    select '{{ var("reporting_currency") }}' as currency
),
{% endif %}

typed as (
    select
        {%- for name, c in columns.items() if c.type in parsed_types %}
        source.{{ name }} as raw_{{ name }},
        {%- endfor %}
        {%- for name, expression in kept %}
        {{ expression }} as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from source
    {%- if meta.get('partner_checked') %}
    left join known_partners on trim(source.partner_id) = known_partners.partner_id
    {%- endif %}
    {%- for name in converted %}
    left join rated_currencies on upper(trim(source.{{ name }})) = rated_currencies.currency
    {%- endfor %}
),

-- The checks read the raw text; what they keep leaves it out.
field_checked as (
    select
        {%- for name, _ in kept %}
        {{ name }},
        {%- endfor %}
        {{ first_rejection(checks, 'check_index', 'field_reason', 'field_rejected') }}
    from (select typed.*, {{ first_failed_check(checks) }} as check_index from typed) as typed
),

-- The field checks' results narrowed to the key, the lineage and the caller's key_columns.
field_checked_keys as (
    select
        {%- for name in (rank_by + key_columns) | unique if name != '_partition_date' %}
        {{ name }},
        {%- endfor %}
        _partition_date,
        _source_file,
        _source_row,
        field_reason
    from field_checked
),

-- Copies of a key that pass every earlier check; the first by (partition, file, row) wins. Read twice, and without
-- history a filter of field_checked_keys: computed at each read, not stored again (macro cte_inlined). With history
-- it holds the history's copies of the window's keys too, found once.
valid_copies as {% if not history %}{{ cte_inlined() }} {% endif %}(
    select {{ rank_by | join(', ') }}, _partition_date as copy_partition_date, _source_file, _source_row
    from field_checked_keys
    where field_reason is null
    {% if history %}
    union all
    select {{ rank_by | join(', ') }}, _partition_date as copy_partition_date, _source_file, _source_row
    from {{ history }}
    where (rejection_reason is null or rejection_reason in ('{{ (['duplicate_key'] + later_reasons) | join("', '") }}'))
        and ({{ key | join(', ') }}) in (select {{ key | join(', ') }} from field_checked_keys)
    {% endif %}
),

duplicated_keys as (
    select {{ rank_by | join(', ') }}
    from valid_copies
    group by {{ rank_by | join(', ') }}
    having count(*) > 1
),

-- The later copies of the duplicated keys only. A semi join, not an inner join: DuckDB estimated the inner join at
-- 24 x the input rows and so built the final join's hash table on every judged row instead of on these few.
ranked as (
    select _source_file, _source_row, key_occurrence
    from (
        select
            _source_file,
            _source_row,
            row_number() over (
                partition by {{ rank_by | join(', ') }}
                order by copy_partition_date, _source_file, _source_row
            ) as key_occurrence
        from valid_copies
        where ({{ rank_by | join(', ') }}) in (select {{ rank_by | join(', ') }} from duplicated_keys)
    ) as occurrences
    where key_occurrence > 1
),

{#- The verdict of a row of field_checked or field_checked_keys joined to `ranked` (only one of them has field_reason). -#}
{%- set row_reason -%}
        case
            when field_reason is not null then field_reason
            when ranked.key_occurrence > 1 then 'duplicate_key'
        end as {{ reason_alias }}
{%- endset %}
judged as (
    select
        field_checked.*,
        coalesce(ranked.key_occurrence, 1) as key_occurrence,
{{ row_reason }},
        case
            when field_checked.field_reason is not null then field_checked.field_rejected
            when ranked.key_occurrence > 1 then '{{ key[0] }}'
        end as {{ field_alias }}
    from field_checked
    left join ranked
        on field_checked._source_file = ranked._source_file
        and field_checked._source_row = ranked._source_row
),

-- `judged` narrowed to field_checked_keys' columns, for the caller's later checks.
judged_keys as (
    select
        field_checked_keys.*,
{{ row_reason }}
    from field_checked_keys
    left join ranked
        on field_checked_keys._source_file = ranked._source_file
        and field_checked_keys._source_row = ranked._source_row
)
{%- endmacro %}
