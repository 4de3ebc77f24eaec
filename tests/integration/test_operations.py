"""On-call operations: late-data sensor, freshness check, schedules and failure alerts (no full pipeline run)."""

from __future__ import annotations

import json
import os
import re
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.alerts import partner_retention_failure_alert_sensor
from orchestration.defs.jobs import (
    DBT_STEP,
    build_jobs,
    build_nightly_schedule,
    build_weekly_full_rebuild_schedule,
    run_options,
)
from orchestration.defs.partitions import build_daily_partitions
from orchestration.defs.predictive.assets import predictive_fit
from orchestration.defs.resources import AlertResource, WarehouseResource
from orchestration.defs.sensors import (
    FRESHNESS_ENTITIES,
    build_freshness_checks,
    freshness_result,
    partner_retention_late_data_sensor,
)
from orchestration.lib.alerts import failure_text, webhook_host
from orchestration.lib.dagster_storage import ephemeral_instance
from orchestration.lib.late_data import changed_files, find_late_data, hours_overdue, scan_landing
from orchestration.lib.operations import LATE_FILES_TAG
from orchestration.lib.windows import RANGE_END_TAG, RANGE_START_TAG
from tests.helpers import PipelineDirs, environ


def write_file(landing: Path, entity: str, day: date, name: str, text: str) -> Path:
    folder = landing / entity / f"dt={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


# ---- late data: pure diff ----------------------------------------------------------------------------


def test_changed_files_sees_new_modified_and_removed():
    before = {"transactions/dt=2024-01-01/a.csv": [1, 10], "transactions/dt=2024-01-02/b.csv": [1, 10]}
    after = {"transactions/dt=2024-01-01/a.csv": [2, 10], "transactions/dt=2024-01-03/c.csv": [1, 5]}
    assert changed_files(before, after) == [
        "transactions/dt=2024-01-01/a.csv",
        "transactions/dt=2024-01-02/b.csv",
        "transactions/dt=2024-01-03/c.csv",
    ]


def test_late_data_ignores_baseline_and_recent_days_and_keys_by_change_set():
    today = date(2024, 3, 10)
    base = {"transactions/dt=2024-01-05/a.csv": [1, 10]}
    assert find_late_data(None, base, today) is None  # first look records a baseline only
    recent = {**base, "transactions/dt=2024-03-09/y.csv": [1, 3]}  # yesterday: the nightly's job
    assert find_late_data(base, recent, today) is None
    late = {**recent, "leads/dt=2024-02-01/l.csv": [5, 9], "transactions/dt=2024-01-20/t.csv": [5, 9]}
    found = find_late_data(recent, late, today)
    assert found is not None
    assert (found.first_day, found.last_day) == (date(2024, 1, 20), date(2024, 2, 1))
    assert found.files == ["leads/dt=2024-02-01/l.csv", "transactions/dt=2024-01-20/t.csv"]
    again = find_late_data(recent, {**late, "leads/dt=2024-02-01/l.csv": [6, 9]}, today)
    assert again is not None and again.run_key != found.run_key  # a re-delivered file is a new change


# ---- late data: the sensor against a real landing folder ----------------------------------------------


def test_late_data_sensor_requests_one_deduplicated_run(tmp_path: Path):
    landing = tmp_path / "landing"
    write_file(landing, "transactions", date(2024, 1, 5), "part-0.csv", "transaction_id\n1\n")
    warehouse = WarehouseResource(landing_dir=str(landing), warehouse_dir=str(tmp_path / "wh"))

    def evaluate(cursor: str | None):
        context = dg.build_sensor_context(cursor=cursor, resources={"warehouse": warehouse})
        return partner_retention_late_data_sensor(context), context.cursor

    result, cursor = evaluate(None)
    assert isinstance(result, dg.SkipReason) and "baseline" in result.skip_message
    assert json.loads(cursor) == scan_landing(landing)

    result, cursor = evaluate(cursor)
    assert isinstance(result, dg.SkipReason)  # nothing changed

    write_file(landing, "transactions", date(2024, 1, 9), "late.csv", "transaction_id\n2\n")
    write_file(landing, "partners", date(2024, 1, 7), "fix.csv", "partner_id\nP1\n")
    request, cursor_after = evaluate(cursor)
    assert isinstance(request, dg.RunRequest)
    assert request.tags[RANGE_START_TAG] == "2024-01-07" and request.tags[RANGE_END_TAG] == "2024-01-09"
    assert "transactions/dt=2024-01-09/late.csv" in request.tags[LATE_FILES_TAG]
    assert request.run_key.startswith("late-")

    # Evaluating the same arrival again (e.g. the cursor update was lost) gives the same run key,
    # so Dagster launches it once; with the updated cursor there is nothing to do.
    replay, _ = evaluate(cursor)
    assert isinstance(replay, dg.RunRequest) and replay.run_key == request.run_key
    result, _ = evaluate(cursor_after)
    assert isinstance(result, dg.SkipReason)


# ---- freshness -------------------------------------------------------------------------------------


def test_hours_overdue_against_the_deadline():
    newest = date(2024, 3, 9)  # the day closes at 2024-03-10 00:00 UTC
    assert hours_overdue(newest, datetime(2024, 3, 11, 5, 0, tzinfo=UTC), "UTC", 30) is None
    assert hours_overdue(newest, datetime(2024, 3, 11, 8, 0, tzinfo=UTC), "UTC", 30) == pytest.approx(2.0)
    assert hours_overdue(None, datetime(2024, 3, 11, tzinfo=UTC), "UTC", 30) == float("inf")


def test_freshness_check_warns_for_a_stale_source_and_passes_a_fresh_one(tmp_path: Path):
    landing = tmp_path / "landing"
    today = datetime.now(UTC).date()
    write_file(landing, "transactions", today - timedelta(days=1), "t.csv", "x\n")
    write_file(landing, "leads", today - timedelta(days=5), "l.csv", "x\n")
    warehouse = WarehouseResource(landing_dir=str(landing), warehouse_dir=str(tmp_path / "wh"), freshness_hours="30")
    assert {"transactions", "leads", "payouts", "traffic_daily"} <= set(FRESHNESS_ENTITIES)
    assert "partner_targets" not in FRESHNESS_ENTITIES  # occasional: lands once a quarter
    # Every daily entity's check runs in one step (one process in a daemon run), as Dagster runs it.
    (check,) = build_freshness_checks()
    result = dg.materialize(
        [check], resources={"warehouse": warehouse}, selection=dg.AssetSelection.checks(check), raise_on_error=False
    )
    evaluations = {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}
    assert sorted(evaluations) == sorted(FRESHNESS_ENTITIES)
    assert {e.check_name for e in evaluations.values()} == {"landing_is_fresh"}
    fresh, stale = evaluations["transactions"], evaluations["leads"]
    assert fresh.passed
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.WARN
    assert "leads" in stale.description and "30 h deadline" in stale.description
    assert not evaluations["payouts"].passed  # nothing landed at all: overdue without end
    assert evaluations["payouts"].metadata["hours_overdue"].value == "inf"
    # PRA_FRESHNESS_HOURS reaches the check through the resource: a 5-day deadline makes `leads` fresh.
    patient = WarehouseResource(landing_dir=str(landing), warehouse_dir=str(tmp_path / "wh"), freshness_hours="150")
    assert freshness_result(dg.AssetKey(["raw", "leads"]), patient.settings).passed


# ---- schedules --------------------------------------------------------------------------------------


def test_nightly_and_weekly_schedules_request_one_range_run():
    when = datetime(2024, 3, 10, 2, 30, tzinfo=UTC)
    job, weekly_job = build_jobs(build_daily_partitions(date(2020, 1, 1)), predictive_fit)
    nightly = build_nightly_schedule(job, "30 2 * * *", "UTC", 35)
    weekly = build_weekly_full_rebuild_schedule(weekly_job, "0 4 * * 0", "UTC", 35)
    from orchestration.definitions import defs

    repository = defs().get_repository_def()  # where the daemon resolves the weekly job's steps
    n = nightly.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=when)).run_requests[0]
    w = weekly.evaluate_tick(
        dg.build_schedule_context(scheduled_execution_time=when, repository_def=repository)
    ).run_requests[0]
    assert (n.tags[RANGE_START_TAG], n.tags[RANGE_END_TAG]) == ("2024-02-04", "2024-03-09")
    assert not n.run_config  # the nightly: every per-run option at its default
    # The weekly rebuild asks both dbt steps of the weekly job (around the fit) for --full-refresh through run config.
    assert w.run_config == {"ops": {step: {"config": {"full_refresh": True}} for step in (DBT_STEP, f"{DBT_STEP}_2")}}
    assert w.tags[RANGE_END_TAG] == "2024-03-09"
    assert weekly.cron_schedule == "0 4 * * 0"
    # The weekly run is the job with the predictive fit; the nightly one joins the last fit's scores.
    assert (nightly.job_name, weekly.job_name) == ("partner_retention_nightly_job", "partner_retention_weekly_job")


def test_the_nightly_window_starts_no_earlier_than_the_partitions():
    # A deployment whose history starts 2024-03-01 (PRA_PARTITIONS_START): the look-back stops there.
    job, _ = build_jobs(build_daily_partitions(date(2024, 3, 1)), predictive_fit)
    nightly = build_nightly_schedule(job, "30 2 * * *", "UTC", 35)
    when = datetime(2024, 3, 10, 2, 30, tzinfo=UTC)
    n = nightly.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=when)).run_requests[0]
    assert (n.tags[RANGE_START_TAG], n.tags[RANGE_END_TAG]) == ("2024-03-01", "2024-03-09")


# ---- failure alerts ---------------------------------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """Records every POST body; answers 200 like Slack."""

    bodies: list[bytes] = []

    def do_POST(self):  # noqa: N802 (http.server API)
        Recorder.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    """A local HTTP server on 127.0.0.1 that records the alert requests."""
    Recorder.bodies = []
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret-token", Recorder.bodies
    server.shutdown()
    thread.join(5)


def alert_for(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult, alerts: AlertResource) -> None:
    """Evaluate the failure sensor for a finished failed run, as the daemon would."""
    run = instance.get_run_by_id(result.run_id)
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name="partner_retention_failure_alert_sensor",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=failure,
    ).for_run_failure()
    partner_retention_failure_alert_sensor(context, alerts=alerts)


def test_failed_pipeline_run_posts_an_alert_with_step_and_link(tmp_path: Path, webhook, caplog):
    url, bodies = webhook
    dirs = PipelineDirs(tmp_path)
    dirs.landing.mkdir(parents=True)  # an empty landing folder: ingestion fails (no transactions)
    with environ({**dirs.env(), "PRA_ALERT_WEBHOOK_URL": url, "PRA_UI_URL": "http://dagster.example:3000/"}):
        from orchestration.definitions import defs

        instance = ephemeral_instance()
        d = defs()
        job = d.resolve_job_def("partner_retention_nightly_job")
        result = job.execute_in_process(
            tags={RANGE_START_TAG: "2024-01-01", RANGE_END_TAG: "2024-01-02"}, instance=instance, raise_on_error=False
        )
        assert not result.success
        # The code location's resource, configured from the two variables (dg.EnvVar, resolved by Dagster).
        alerts = d.resources["alerts"]
        assert alerts.alert_webhook_url.env_var_name == "PRA_ALERT_WEBHOOK_URL"
        with caplog.at_level("INFO"), dg.build_resources({"alerts": alerts}) as resources:
            alert_for(instance, result, resources.alerts)
    assert len(bodies) == 1
    text = json.loads(bodies[0])["text"]
    assert result.run_id in text
    assert "partner_retention_nightly_job" in text
    assert "failed step(s): ingest_landing_files" in text
    assert f"http://dagster.example:3000/runs/{result.run_id}" in text
    assert "secret-token" not in caplog.text  # only the host is logged
    assert result.run_id in caplog.text  # the alert itself is in the log too


def test_failed_blocking_check_is_named_in_the_alert(webhook):
    url, bodies = webhook

    @dg.asset
    def mart() -> int:
        return 1

    @dg.asset_check(asset=mart, blocking=True)
    def mart__publish() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, description="volume dropped 90%")

    @dg.asset(deps=[mart])
    def published() -> None:
        return None

    instance = ephemeral_instance()
    job = dg.Definitions(
        assets=[mart, published],
        asset_checks=[mart__publish],
        jobs=[dg.define_asset_job("gate_job", selection=dg.AssetSelection.all())],
    ).resolve_job_def("gate_job")
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success  # a failed blocking check fails the run
    alert_for(instance, result, AlertResource(alert_webhook_url=url))
    text = json.loads(bodies[0])["text"]
    assert "failed blocking check(s): mart:mart__publish" in text


class Flaky(BaseHTTPRequestHandler):
    """Answers the first `failures` POSTs with `status`, then 200; records every attempt."""

    failures = 0
    status = 503
    bodies: list[bytes] = []

    def do_POST(self):  # noqa: N802 (http.server API)
        Flaky.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        code = Flaky.status if len(Flaky.bodies) <= Flaky.failures else 200
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky_webhook():
    """A local webhook on 127.0.0.1 that fails as told (set Flaky.failures / Flaky.status)."""
    Flaky.bodies, Flaky.failures, Flaky.status = [], 0, 503
    server = HTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret-token"
    server.shutdown()
    thread.join(5)


def test_a_failed_webhook_post_is_retried_with_backoff_until_delivered(flaky_webhook, caplog):
    import logging

    from orchestration.lib.alerts import AlertSettings, deliver

    log = logging.getLogger("test.alerts")
    settings = AlertSettings(webhook_url=flaky_webhook, ui_url="http://ui", attempts=4, first_delay_seconds=0.05)
    Flaky.failures = 2  # two 503s, then accepted on the third attempt
    with caplog.at_level("INFO"):
        assert deliver("hello", settings, log) is True
    assert len(Flaky.bodies) == 3
    assert "retrying in 0.05 s" in caplog.text and "retrying in 0.1 s" in caplog.text
    assert "HTTP 200, attempt 3" in caplog.text

    Flaky.bodies, Flaky.failures = [], 99  # never recovers: bounded attempts, then one clear error with the alert
    caplog.clear()
    assert deliver("the alert text", settings, log) is False
    assert len(Flaky.bodies) == 4
    assert "ALERT NOT DELIVERED: webhook at 127.0.0.1" in caplog.text and "the alert text" in caplog.text
    assert "secret-token" not in caplog.text

    Flaky.bodies, Flaky.status = [], 404  # a client error does not heal: no retry
    assert deliver("x", settings, log) is False
    assert len(Flaky.bodies) == 1


def test_an_undelivered_alert_waits_in_the_outbox_until_the_webhook_takes_it(flaky_webhook, tmp_path: Path, capsys):
    import logging

    from orchestration.cli import main
    from orchestration.defs.alerts import partner_retention_alert_outbox_sensor
    from orchestration.lib.alerts import AlertSettings, deliver, pending_alerts

    log = logging.getLogger("test.alerts")
    outbox = tmp_path / "warehouse" / "alerts" / "undelivered.jsonl"
    settings = AlertSettings(
        webhook_url=flaky_webhook, ui_url="http://ui", attempts=2, first_delay_seconds=0.01, outbox=outbox
    )
    Flaky.bodies, Flaky.failures = [], 99  # the webhook is down
    assert deliver("first alert", settings, log) is False
    assert [a["text"] for a in pending_alerts(outbox)] == ["first alert"]
    assert "secret-token" not in outbox.read_text()  # the outbox holds the alert, never the webhook URL

    # Still down: the outbox sensor's tick says how many wait, and `pra alerts` lists them (exit code 1).
    env = {"PRA_HOME": str(tmp_path), "PRA_ALERT_WEBHOOK_URL": flaky_webhook}
    resource = AlertResource(home=str(tmp_path), alert_webhook_url=flaky_webhook)
    skip = partner_retention_alert_outbox_sensor(dg.build_sensor_context(), alerts=resource)
    assert skip.skip_message == "1 undelivered alert(s) waiting"
    with environ(env):
        assert main(["alerts"]) == 1
    assert "first alert" in capsys.readouterr().out

    # The webhook is back: the next alert posts the waiting one first, then itself; the outbox is empty.
    Flaky.bodies, Flaky.failures = [], 0
    assert deliver("second alert", settings, log) is True
    assert [json.loads(b)["text"] for b in Flaky.bodies] == ["first alert", "second alert"]
    assert pending_alerts(outbox) == []
    with environ(env):
        assert main(["alerts"]) == 0
    assert capsys.readouterr().out.strip() == "no undelivered alerts"


def test_a_failed_pra_run_sends_the_same_alert_as_the_sensor(tmp_path: Path, webhook, capsys):
    """`pra run` executes in its own process, which the failure sensor never sees: it alerts itself."""
    from orchestration.cli import main

    url, bodies = webhook
    dirs = PipelineDirs(tmp_path)
    dirs.landing.mkdir(parents=True)  # an empty landing folder: ingestion fails (no transactions)
    with environ({**dirs.env(), "PRA_ALERT_WEBHOOK_URL": url, "PRA_UI_URL": "http://dagster.example:3000"}):
        assert main(["backfill", "--start", "2024-01-01", "--end", "2024-01-01", "--no-record"]) == 1
    assert len(bodies) == 1
    text = json.loads(bodies[0])["text"]
    out = capsys.readouterr().out.splitlines()
    run_id = next(line for line in out if line.startswith("run ")).split()[1].rstrip(":")
    # The console names the failed step in one line and says nothing was published.
    assert out[0].startswith("ingest   ") and "step FAILED: " in out[0], out
    assert out[-1] == "nothing published by this run"
    assert text.splitlines()[:3] == [
        ":rotating_light: Partner Retention Analytics: run of `partner_retention_nightly_job` failed",
        f"run: {run_id}",
        # The step's own error, which names the folder: partners are loaded first (sorted), so they fail first.
        f"failed step(s): ingest_landing_files ({dirs.landing}/partners: no 'partners' snapshot on or before "
        "2024-01-02)",
    ]
    assert text.splitlines()[-1] == f"logs: http://dagster.example:3000/runs/{run_id}"


def test_alert_text_and_host_only():
    text = failure_text("abc", "job", ["dbt_models"], ["marts/x:x__publish"], "http://ui:3000")
    assert text.splitlines()[-1] == "logs: http://ui:3000/runs/abc"
    assert webhook_host("https://hooks.slack.com/services/T/B/secret") == "hooks.slack.com"


def test_run_options_and_as_of():
    from orchestration.definitions import defs
    from orchestration.lib.operations import effective_as_of

    assert run_options() == {}  # no option on: no config, so any asset selection accepts it
    every = {"full_refresh": True, "allow_volume_jump": True, "accept_mass_change": True}
    assert run_options(**every) == {
        "ops": {
            "ingest_landing_files": {"config": {"accept_mass_change": True}},
            "dbt_models": {"config": {"full_refresh": True}},
            "publish_gates": {"config": {"allow_volume_jump": True}},
            "publish_gates_predictive": {"config": {"allow_volume_jump": True}},
        }
    }
    # The weekly job runs the dbt models as two steps: an option goes to both.
    weekly = defs().resolve_job_def("partner_retention_weekly_job")
    assert run_options(weekly, **every)["ops"] == {
        "ingest_landing_files": {"config": {"accept_mass_change": True}},
        "dbt_models": {"config": {"full_refresh": True}},
        "dbt_models_2": {"config": {"full_refresh": True}},
        "publish_gates": {"config": {"allow_volume_jump": True}},
        "publish_gates_predictive": {"config": {"allow_volume_jump": True}},
    }
    assert dg.validate_run_config(weekly, run_options(weekly, **every))  # the config Dagster accepts for it
    # A late-data run for January, with data loaded up to March: the marts stay as of March.
    assert effective_as_of(date(2024, 1, 11), date(2024, 3, 9)) == date(2024, 3, 9)
    assert effective_as_of(date(2024, 3, 10), date(2024, 3, 9)) == date(2024, 3, 9)
    assert effective_as_of(date(2024, 3, 10), None) == date(2024, 3, 9)


# ---- history before the default partitions start (issue 11, bug 1) ----------------------------------


def test_history_before_the_default_partitions_start_loads_once_the_setting_says_so(tmp_path: Path):
    """1997 purchases: refused in one line with the default start (2020), loaded and published with it set."""
    import subprocess
    import sys

    from demo.generator import generate
    from tests.helpers import query

    dirs = PipelineDirs(tmp_path)
    manifest = generate(dirs.landing, "small", start=date(1997, 1, 1), days=60)
    assert (manifest["start"], manifest["end"]) == ("1997-01-01", "1997-03-01")
    pra = [str(Path(sys.executable).parent / "pra"), "run", "--start", "1997-01-01", "--end", "1997-03-01"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRA_", "DAGSTER_HOME"))} | dirs.env()

    refused = subprocess.run(pra, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert refused.returncode == 2
    assert refused.stderr == (
        "pra run: 1997-01-01 is before the first daily partition 2020-01-01: "
        "set PRA_PARTITIONS_START=1997-01-01 (or earlier) to load that history\n"
    )
    assert not dirs.warehouse.exists()  # nothing ran

    loaded = subprocess.run(
        pra, env=env | {"PRA_PARTITIONS_START": "1997-01-01"}, cwd=tmp_path, capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stdout[-3000:] + loaded.stderr[-3000:]
    # Every landed transaction row of the 60 days is in raw, on its own day; the marts start in January 1997.
    raw = query(dirs.work_db, "select count(*), min(_partition_date), max(_partition_date) from raw.transactions")
    assert raw == [(manifest["rows"]["transactions"], date(1997, 1, 1), date(1997, 3, 1))]
    months = query(dirs.warehouse / "marts.duckdb", "select min(month_start_date) from fct_program_kpis_monthly")
    assert months == [(date(1997, 1, 1),)]

    # The console: one line per step with its counts, the run and its log, and what was published, where.
    lines = loaded.stdout.splitlines()
    landed = sum(manifest["rows"].values())
    files = sum(1 for p in dirs.landing.rglob("*") if p.is_file() and p.name != "_manifest.json")
    assert lines[0] == f"ingest   9/9 raw tables, {landed:,} rows from {files:,} files; volume checks 2/2 passed"
    dbt_line = re.fullmatch(r"dbt      models (\d+)/(\d+) built; tests (\d+)/(\d+) passed", lines[1])
    built, models, passed, tests = map(int, dbt_line.groups())
    # One dbt step in the nightly job, the models reading the predictive scores (of the last fit, none here) included.
    assert (built, passed) == (models, tests) and models > 80 and tests > 180
    # The gates: the marts, and those reading the predictive scores (their own step).
    gates = r"quality  Great Expectations publish gates (\d+)/\1 passed{}; no warning among \1 warning checks"
    assert re.fullmatch(gates.format(""), lines[2]), lines[2]
    assert re.fullmatch(gates.format(r" \(marts reading the predictive scores\)"), lines[3]), lines[3]
    assert lines[4].startswith("publish  version 1 as of 1997-03-01, ")
    log = dirs.warehouse / "logs" / f"pra-{lines[5].split()[1].rstrip(':')}.log"
    assert lines[5].endswith(f": success; full log: {log}")
    assert "Finished running" in log.read_text()  # dbt's own output went to the log file, not the console
    assert lines[6:] == [f"published version 1 (as of 1997-03-01): {dirs.warehouse / 'marts.duckdb'}"]
    # Recorded where `make dev` looks (DAGSTER_HOME unset: <PRA_HOME>/.dagster_home): the run, its success, and the
    # version it published on the publication's materialization.
    with environ({"DAGSTER_HOME": str(tmp_path / ".dagster_home")}):
        instance = dg.DagsterInstance.from_config(str(tmp_path / ".dagster_home"))
    try:
        run = instance.get_run_by_id(lines[5].split()[1].rstrip(":"))
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        published = instance.get_latest_materialization_event(dg.AssetKey("published_marts"))
        assert published.asset_materialization.metadata["version"].value == 1
    finally:
        instance.dispose()
    assert "AssetObservation" not in log.read_text()
