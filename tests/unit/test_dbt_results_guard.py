"""A dbt step whose results did not all reach Dagster fails, naming what is missing (docs/operations.md, "Reruns and
retries"), instead of leaving the models after it skipped in a run that ends green. Real Dagster runs of a
multi-asset shaped like the dbt step (skippable model outputs, a data test as an asset check)."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.transformation.assets import _every_result

MODEL_A = dg.Output(None, output_name="model_a")
TEST_ON_A = dg.AssetCheckResult(asset_key="model_a", check_name="not_null_id", passed=True)
MODEL_B = dg.Output(None, output_name="model_b")


def _run(*delivered) -> dg.ExecuteInProcessResult:
    @dg.multi_asset(
        specs=[dg.AssetSpec("model_a", skippable=True), dg.AssetSpec("model_b", skippable=True)],
        check_specs=[dg.AssetCheckSpec("not_null_id", asset="model_a")],
    )
    def dbt_like_step(context):
        yield from _every_result(context, delivered)

    return dg.materialize([dbt_like_step], raise_on_error=False)


def _failure(result: dg.ExecuteInProcessResult) -> str:
    (failure,) = result.get_step_failure_events()
    return failure.step_failure_data.error.message


def test_every_result_delivered_passes() -> None:
    result = _run(MODEL_A, TEST_ON_A, MODEL_B)
    assert result.success
    assert {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()} == {"model_a", "model_b"}


def test_a_lost_model_result_fails_the_step_naming_it() -> None:
    result = _run(MODEL_A, TEST_ON_A)
    assert not result.success
    message = _failure(result)
    assert "no result for 1 of the selected models and tests: model_b." in message


def test_a_lost_data_test_result_fails_the_step_naming_it() -> None:
    result = _run(MODEL_A, MODEL_B)
    assert not result.success
    assert "no result for 1 of the selected models and tests: model_a:not_null_id." in _failure(result)
