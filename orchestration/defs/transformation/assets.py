"""Transformation: every dbt model as a Dagster asset, built for the run's partition window."""


import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import WAREHOUSE_POOL, WarehouseResource, dbt_project
from orchestration.lib.dbt_args import dbt_build_args


class FolderGroupTranslator(DagsterDbtTranslator):
    """Asset groups follow the dbt folder a model lives in (staging, intermediate, marts)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


def build_dbt_assets() -> dg.AssetsDefinition:
    """The dbt models as one multi-asset; reads the manifest built by `pra manifest`."""
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=FolderGroupTranslator(
            settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
        ),
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
    )
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        """`dbt build` of the selected models and their tests for the partition window."""
        window = context.partition_time_window
        os.environ.update(warehouse.dbt_env())
        args = dbt_build_args(window.start.date(), window.end.date())
        yield from dbt.cli(args, context=context).stream()

    return dbt_models
