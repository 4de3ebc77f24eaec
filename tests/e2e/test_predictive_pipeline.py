"""The predictive fit inside the small-preset run: its input against the landing files, its scores in the marts,
and the fit step's cadence and failure path on a copy of the warehouse (docs/metrics.md "Predictive partner health",
docs/operations.md "Predictive fit")."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.lib import gx_runner, predictive
from orchestration.lib.dagster_storage import ephemeral_instance
from tests.helpers import PipelineDirs, dbt_on, query
from tests.landing_oracle import clean_transactions

pytestmark = pytest.mark.e2e


def test_summary_matches_the_sale_days_of_the_landing_files(small_pipeline: PipelineDirs):
    """frequency = sale days after the first, recency and T in days / 7, from an independent reading of the files."""
    as_of = date.fromisoformat(small_pipeline.manifest()["end"])
    tx = clean_transactions(small_pipeline.landing, as_of)
    days = tx[tx["kind"] == "sale"].groupby("partner_id")["date"].agg(["nunique", "min", "max"])
    got = {
        row[0]: row[1:]
        for row in query(
            small_pipeline.work_db,
            "select partner_id, frequency, recency_weeks, t_weeks, as_of_date "
            "from intermediate.int_partners_sales_summarized",
        )
    }
    assert set(got) == set(days.index)
    for partner_id, d in days.iterrows():
        frequency, recency, t, summary_as_of = got[partner_id]
        assert summary_as_of == as_of
        assert frequency == d["nunique"] - 1, partner_id
        assert recency == pytest.approx((d["max"] - d["min"]).days / 7), partner_id
        assert t == pytest.approx((as_of - d["min"]).days / 7), partner_id


def test_one_converged_fit_scores_every_partner_and_reaches_the_marts(small_pipeline: PipelineDirs):
    """One MAP fit as of the run's last day; every summarised partner scored, in the mart and the scorecard."""
    db = small_pipeline.work_db
    as_of = date.fromisoformat(small_pipeline.manifest()["end"])
    fields = "fit_date, method, is_converged, partners_count, r, alpha, a, b, q"
    runs = query(db, f"select {fields} from predictive.fit_runs")
    assert len(runs) == 1
    fit_date, method, converged, partners, r, alpha, a, b, q = runs[0]
    assert (fit_date, method, converged) == (as_of, "map", True)
    assert partners == query(db, "select count(*) from intermediate.int_partners_sales_summarized")[0][0]
    assert min(r, alpha, a, b) > 0 and q > 1
    # The mart: one row per scored partner in the fit's month, P(alive) in [0, 1], MAP intervals null.
    month = as_of.replace(day=1)
    rows, low_p, high_p, nulls, months = query(
        db,
        "select count(*), min(p_alive), max(p_alive), count(p_alive_low) + count(predictive_ltv_high_reporting), "
        "count(distinct month_start_date) from marts.fct_partner_predictions",
    )[0]
    assert (rows, nulls, months) == (partners, 0, 1)
    assert 0 <= low_p <= high_p <= 1
    program = query(
        db,
        "select month_start_date, scored_partners_count, expected_alive_partners, "
        "expected_active_partners_next_quarter from marts.fct_program_predictions",
    )
    assert len(program) == 1 and program[0][:2] == (month, partners)
    assert 0 < program[0][3] <= program[0][2] <= partners  # a sale within 90 days implies alive now
    # The scorecard carries the same P(alive) in the fit's month only.
    mismatched, carried, other_months = query(
        db,
        "select count(*) filter (where s.p_alive is distinct from p.p_alive), count(s.p_alive), "
        "count(*) filter (where s.p_alive is not null and s.month_start_date <> ?) "
        "from marts.fct_partner_scorecard_monthly as s "
        "left join marts.fct_partner_predictions as p on s.partner_month_id = p.partner_month_id",
        [month],
    )[0]
    assert (mismatched, carried, other_months) == (0, partners, 0)


def test_pareto_nbd_is_off_by_default_and_bgnbd_is_published_without_it(small_pipeline: PipelineDirs):
    """PRA_PREDICT_PARETO_NBD unset: no Pareto/NBD fit (null flag, parameters and scores), BG/NBD published."""
    db = small_pipeline.work_db
    ((converged, message, r, loglik),) = query(
        db, "select is_pareto_nbd_converged, message, pareto_nbd_r, pareto_nbd_log_likelihood from predictive.fit_runs"
    )
    assert (converged, r, loglik) == (None, None, None)
    assert message.endswith("Pareto/NBD: not fitted (PRA_PREDICT_PARETO_NBD off)")
    scored, bgnbd, pareto_nbd = query(
        db, "select count(*), count(p_alive), count(pareto_nbd_p_alive) from marts.fct_partner_predictions"
    )[0]
    assert scored > 0 and (bgnbd, pareto_nbd) == (scored, 0)


@pytest.mark.parametrize("converged", [True, False], ids=["converged", "not_converged"])
def test_pareto_nbd_reaches_the_marts_only_where_it_converged(
    small_pipeline: PipelineDirs, tmp_path: Path, converged: bool
):
    """A refit of the same day with a Pareto/NBD that converged or not, written by `write_fit` and read by dbt: its
    parameters and scores in the fit run and both marts exactly when it converged (a failed estimate is not
    recorded), BG/NBD's scores published either way, and the publish gates pass."""
    db = tmp_path / "work.duckdb"
    shutil.copyfile(small_pipeline.work_db, db)
    as_of = small_pipeline.manifest()["end"]
    nan = float("nan")
    with duckdb.connect(str(db)) as con:
        # The converged fit's own BG/NBD scores and parameters; Pareto/NBD's scores made up from them by hand.
        scores = con.execute("select * exclude (fit_date) from predictive.partner_scores").df()
        names = (*predictive.BGNBD_PARAMS, *predictive.GAMMA_GAMMA_PARAMS)
        values = con.execute(f"select {', '.join(names)} from predictive.fit_runs").fetchone()
        params = dict(zip(names, values, strict=True))
        pareto_nbd_scores = {
            "pareto_nbd_p_alive": scores["p_alive"] * 0.9 if converged else nan,
            "pareto_nbd_expected_sales_90d": scores["expected_sales_90d"] if converged else nan,
            "pareto_nbd_expected_sales_12m": scores["expected_sales_12m"] if converged else nan,
        }
        reason = "max |gradient| / sqrt(n) 1e-04" if converged else "max |gradient| / sqrt(n) 1.8e-02 (limit 0.01)"
        pareto_nbd = predictive.ParetoNBDFit(
            {"r": 0.5, "alpha": 9.0, "s": 0.6, "beta": 12.0}, -900.0, converged, 1.0, reason
        )
        fit = predictive.PredictiveFit(
            "map", params, -800.0, True, len(scores), 20, 1.0, scores.assign(**pareto_nbd_scores),
            f"BG/NBD: ok; Gamma-Gamma: ok; Pareto/NBD: {reason}", pareto_nbd=pareto_nbd,
        )  # fmt: skip
        predictive.write_fit(con, fit, date.fromisoformat(as_of), datetime.now(UTC), 24, 0.10)
    built = dbt_on(db, tmp_path, "build", {"as_of_date": as_of}, select="source:predictive+")
    assert built.returncode == 0, built.stdout[-4000:]

    latest = query(
        db,
        "select is_pareto_nbd_converged, pareto_nbd_r, pareto_nbd_beta, pareto_nbd_log_likelihood, message "
        "from predictive.fit_runs order by fitted_at desc limit 1",
    )[0]
    assert latest[:4] == ((True, 0.5, 12.0, -900.0) if converged else (False, None, None, None))
    assert f"Pareto/NBD: {reason}" in latest[4]
    partners = query(
        db,
        "select count(*), count(p_alive), count(pareto_nbd_p_alive), sum(pareto_nbd_p_alive) "
        "from marts.fct_partner_predictions",
    )[0]
    alive = scores["p_alive"].sum()
    n = len(scores)
    assert partners == ((n, n, n, pytest.approx(alive * 0.9)) if converged else (n, n, 0, None))
    program = query(
        db,
        "select is_pareto_nbd_converged, pareto_nbd_s, pareto_nbd_expected_alive_partners, expected_alive_partners "
        "from marts.fct_program_predictions",
    )
    expected = (True, 0.6, pytest.approx(alive * 0.9)) if converged else (False, None, None)
    assert program == [(*expected, pytest.approx(alive))]
    with duckdb.connect(str(db), read_only=True) as con:
        for mart in ("fct_partner_predictions", "fct_program_predictions"):
            result = gx_runner.run_suite(con, mart)
            assert result.passed, result.summary()


def test_the_bench_fits_the_runs_own_summary_like_the_asset(small_pipeline: PipelineDirs, capsys):
    """`bench.predictive_fit --warehouse` reads the summary the fit asset read and finds the asset's parameters."""
    from bench import predictive_fit

    assert predictive_fit.main(["--warehouse", str(small_pipeline.work_db)]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    ((partners, *params),) = query(
        small_pipeline.work_db, "select partners_count, r, alpha, a, b from predictive.fit_runs"
    )
    assert out["partners"] == partners
    # The same data and the same deterministic optimiser: the same estimate (to the 4 decimals the bench prints).
    assert [out["params"][name] for name in ("r", "alpha", "a", "b")] == pytest.approx(params, abs=1e-4)


def _fit_once(work_db: Path, **settings: str) -> dg.ExecuteInProcessResult:
    """Materialize the fit step alone on `work_db` (the dbt summary and the fit's tables are already there)."""
    from orchestration.defs.predictive.assets import predictive_fit
    from orchestration.defs.resources import AlertResource, WarehouseResource

    warehouse = WarehouseResource(warehouse_dir=str(work_db.parent), **settings)
    return dg.materialize(
        [predictive_fit],
        resources={"warehouse": warehouse, "alerts": AlertResource(warehouse_dir=str(work_db.parent))},
        instance=ephemeral_instance(),
        raise_on_error=False,
    )


def _check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_fit_within_the_cadence_keeps_the_last_fit_and_a_failed_fit_keeps_the_scores(
    small_pipeline: PipelineDirs, tmp_path: Path
):
    """Same as-of date: kept (weekly cadence). Forced refit on a broken summary: recorded, alerted, scores kept."""
    db = tmp_path / "work.duckdb"
    shutil.copyfile(small_pipeline.work_db, db)
    before = query(db, "select count(*), sum(p_alive) from predictive.partner_scores")[0]

    kept = _fit_once(db)
    assert kept.success and _check(kept).passed
    assert "kept the fit of" in _check(kept).description
    assert query(db, "select count(*) from predictive.fit_runs")[0][0] == 1

    # A summary no correct dbt build can produce (recency after T): the fit refuses it.
    with duckdb.connect(str(db)) as con:
        con.execute("update intermediate.int_partners_sales_summarized set recency_weeks = t_weeks + 1")
    failed = _fit_once(db, predict_every_days="0")
    assert failed.success  # the run goes on: the marts keep the last converged fit
    assert not _check(failed).passed and "recency after T" in _check(failed).description
    runs = query(db, "select is_converged, message from predictive.fit_runs order by fitted_at")
    assert [r[0] for r in runs] == [True, False] and "recency after T" in runs[1][1]
    assert query(db, "select count(*), sum(p_alive) from predictive.partner_scores")[0] == before
