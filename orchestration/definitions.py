"""The Dagster code location: assembles the definitions from `defs/`; no logic lives here."""

import dagster as dg

from orchestration.defs.alerts import partner_retention_alert_outbox_sensor, partner_retention_failure_alert_sensor
from orchestration.defs.ingestion.assets import build_ingestion_assets
from orchestration.defs.jobs import build_jobs, build_nightly_schedule, build_weekly_full_rebuild_schedule
from orchestration.defs.partitions import build_daily_partitions
from orchestration.defs.predictive.assets import predictive_fit
from orchestration.defs.publication.assets import build_publication_asset
from orchestration.defs.quality.checks import build_quality_checks
from orchestration.defs.resources import build_resources
from orchestration.defs.sensors import build_freshness_checks, partner_retention_late_data_sensor
from orchestration.defs.transformation.assets import build_dbt_assets
from orchestration.lib.dagster_storage import use_dagster_env
from orchestration.lib.settings import Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    """The code location for `settings`' load-time values (partitions start, schedules); runs read resources."""
    partitions = build_daily_partitions(settings.partitions_start)
    job, weekly = build_jobs(partitions, predictive_fit)
    # Built once: the gates and the publication take the published marts from their specs.
    dbt_models = build_dbt_assets()
    return dg.Definitions(
        assets=[build_ingestion_assets(partitions), *dbt_models, predictive_fit, build_publication_asset(dbt_models)],
        asset_checks=[*build_quality_checks(dbt_models), *build_freshness_checks()],
        jobs=[job, weekly],
        schedules=[
            build_nightly_schedule(job, settings.nightly_cron, settings.timezone, settings.lookback_days),
            build_weekly_full_rebuild_schedule(
                weekly, settings.full_rebuild_cron, settings.timezone, settings.lookback_days
            ),
        ],
        sensors=[
            partner_retention_late_data_sensor,
            partner_retention_failure_alert_sensor,
            partner_retention_alert_outbox_sensor,
        ],
        resources=build_resources(),
        # Every run's steps one after another in the run's own process: the warehouse pool lets one step at a time
        # write the work file anyway, and a process per step loaded the code location again for each (about 25 s of
        # a small nightly run on two cores; docs/scale-out.md, "Executors").
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Built when Dagster loads the code location (not at import): reads the dbt manifest and settings.

    A process that loads it (the UI's run workers, `dagster job execute`) runs the steps and stores their events: it
    gets the Dagster settings `pra` runs with (DAGSTER_ENV), where its environment does not set them.
    """
    use_dagster_env()
    return build_definitions(Settings.from_env())
