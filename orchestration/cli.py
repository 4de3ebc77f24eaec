"""`pra`: the project's command line (demo, manifest, run a date range, summary)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from orchestration.lib.dbt_args import installed_dbt, run_args
from orchestration.lib.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT_DIR = PROJECT_DIR / "dbt_project"


def build_manifest() -> Path:
    """Parse the dbt project once (the Dagster code location reads target/manifest.json). Its saved parse,
    target/partial_parse.msgpack, is where a new warehouse's first dbt run starts (lib/dbt_command.py)."""
    settings = Settings.from_env()
    subprocess.run(
        [str(installed_dbt()), "parse", "--quiet", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
        + run_args(settings.dbt_vars(), settings.engine),
        check=True,
        env={**os.environ, **settings.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"},
    )
    return DBT_DIR / "target" / "manifest.json"


class RangeError(ValueError):
    """A date range the daily partitions cannot run (the message is one line for the operator)."""


def dagster_home(settings: Settings) -> Path:
    """The Dagster instance `pra` records runs in: $DAGSTER_HOME, else the project's `.dagster_home` (as `make dev`).

    Its dagster.yaml is written when missing: the committed one with $DAGSTER_STORAGE's storage (default sqlite);
    a PostgreSQL instance is then prepared as `make dagster-home` prepares it (its tables and the pool's row).
    """
    from orchestration.lib.dagster_storage import instance_config, prepare_postgres_instance

    home = Path(os.environ.get("DAGSTER_HOME") or settings.home / ".dagster_home").resolve()
    config = home / "dagster.yaml"
    if not config.exists():
        storage = os.environ.get("DAGSTER_STORAGE") or "sqlite"
        home.mkdir(parents=True, exist_ok=True)
        config.write_text(instance_config(storage))
        if storage == "postgres":
            try:
                prepare_postgres_instance(home)
            except Exception:
                config.unlink()  # so the next call prepares it again
                raise
    return home


def run_log(settings: Settings, run_id: str) -> Path:
    """The full log (dbt output and every Dagster log line) of a `pra` run."""
    from orchestration.lib.progress import log_path

    return log_path(settings.warehouse_dir, run_id)


def _step_totals(job) -> dict[str, int]:
    """How many raw tables a full run loads, and models and tests each dbt step of `job` builds (the bars' and lines'
    totals)."""
    import dagster as dg

    from orchestration.defs.jobs import DBT_STEP, step_keys, steps_of
    from orchestration.lib.contract import ENTITIES

    totals = {"ingest_landing_files": len(ENTITIES)}
    keys = step_keys(job)
    for step in steps_of(job, DBT_STEP):
        totals[step] = sum(isinstance(key, dg.AssetKey) for key in keys[step])
        totals[f"{step}/tests"] = len(keys[step]) - totals[step]
    return totals


def run_range(
    first: date,
    last: date,
    *,
    persistent: bool = True,
    full_refresh: bool = False,
    allow_volume_jump: bool = False,
    accept_mass_change: bool = False,
    predict: bool = False,
    settings: Settings | None = None,
    instance=None,
    console=None,
):
    """Run the whole pipeline for the inclusive partition range [first, last] as one Dagster run.

    `predict`: the weekly job, which also fits the predictive models (else the nightly job, which joins the scores
    of the last fit).
    The console gets one line per step (orchestration/lib/progress.py); dbt's output and every Dagster log
    line go to the run's log file (`run_log`); a persistent run is also in the Dagster UI (`dagster_home`).
    """
    import dagster as dg
    from dagster._core.utils import make_new_run_id

    from orchestration.definitions import build_definitions
    from orchestration.defs.jobs import NIGHTLY_JOB, WEEKLY_JOB, run_options
    from orchestration.lib import progress
    from orchestration.lib.dagster_storage import ephemeral_instance, use_dagster_env
    from orchestration.lib.windows import range_problem, range_tags

    settings = settings or Settings.from_env()
    problem = range_problem(first, last, settings.partitions_start, datetime.now(UTC).date())
    if problem:
        raise RangeError(problem)
    # One "planned" event per asset for the range, one stored batch of per-day events per asset (docs/operations.md).
    use_dagster_env()
    if instance is None and persistent:
        home = dagster_home(settings)
        # The committed dagster.yaml places the storage under $DAGSTER_HOME (orchestration/lib/dagster_storage.py).
        os.environ["DAGSTER_HOME"] = str(home)
        instance = dg.DagsterInstance.from_config(str(home))
    instance = instance or ephemeral_instance()
    run_id = make_new_run_id()
    log_file = run_log(settings, run_id)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    definitions = build_definitions(settings)
    job = definitions.resolve_job_def(WEEKLY_JOB if predict else NIGHTLY_JOB)
    run_console = progress.RunConsole(console or progress.terminal(), _step_totals(job))
    options = run_options(
        job, full_refresh=full_refresh, allow_volume_jump=allow_volume_jump, accept_mass_change=accept_mass_change
    )
    with open(log_file, "w", encoding="utf-8") as stream:
        job = job.with_logger_defs(
            {
                "pra_console": progress.console_logger(run_console),
                # Per-partition events (7 raw assets x every day of a history load) are DEBUG lines: the file
                # gets INFO and up unless PRA_LOG_LEVEL says otherwise. Every event is stored on the instance.
                "pra_file": progress.file_logger(stream, settings.log_level),
            }
        )
        run_config = {**options, "loggers": {"pra_console": {}, "pra_file": {}}}
        with progress.captured_output(stream):
            return job.execute_in_process(
                tags=range_tags(first, last),
                instance=instance,
                raise_on_error=False,
                run_config=run_config,
                run_id=run_id,
            )


def published_line(result) -> str:
    """The last line of a run: the version it published (and as of which day), and where; or why not."""
    for event in result.all_events:
        if event.step_key == "published_marts" and event.event_type_value == "ASSET_MATERIALIZATION":
            meta = {k: getattr(v, "value", v) for k, v in event.event_specific_data.materialization.metadata.items()}
            return f"published version {meta['version']} (as of {meta['as_of_date']}): {meta['stable_db']}"
    return "nothing published by this run"


def summary(settings: Settings) -> str:
    """A short text summary of what was loaded, quarantined and built."""
    import duckdb

    from orchestration.lib.contract import ENTITIES, QUARANTINE_RELATION

    lines = []
    with duckdb.connect(str(settings.work_db), read_only=True) as con:
        q = {
            r[0]: r[1]
            for r in con.execute(f"select entity, count(*) from {QUARANTINE_RELATION} group by entity").fetchall()
        }
        lines.append(f"{'entity':<15}{'raw rows':>12}{'quarantined':>13}")
        for name in ENTITIES:
            raw = con.execute(f"select count(*) from raw.{name}").fetchone()[0]
            lines.append(f"{name:<15}{raw:>12,}{q.get(name, 0):>13,}")
        reasons = con.execute(
            f"select rejection_reason, count(*) from {QUARANTINE_RELATION} group by 1 order by 2 desc"
        ).fetchall()
        if reasons:
            lines.append("quarantine reasons: " + ", ".join(f"{r} {n:,}" for r, n in reasons))
        row = con.execute(
            """
            select max(as_of_date), count(distinct partner_id), sum(net_revenue_reporting),
                   max(reporting_currency)
            from marts.fct_partner_monthly
            """
        ).fetchone()
        lines.append(f"as of {row[0]}: {row[1]:,} partners, lifetime net revenue {row[2]:,.2f} {row[3]}")
        kpi = con.execute(
            """
            select month_start_date, active_partner_count, new_partner_count, churned_partner_count,
                   churn_rate, customer_retention_rate, net_revenue_retention, net_revenue_reporting,
                   existing_partner_revenue_reporting, top_20_pct_revenue_share, platinum_revenue_share
            from marts.fct_program_kpis_monthly
            where not is_partial_period
            order by month_start_date desc
            limit 1
            """
        ).fetchone()
        if kpi:
            ccy = row[3]

            def pct(v: float | None) -> str:
                return "n/a" if v is None else f"{v:.1%}"

            lines += [
                f"KPIs for {kpi[0]:%B %Y} (last complete month; fct_program_kpis_monthly):",
                f"  active partners {kpi[1]:,} (new {kpi[2]:,}, churned {kpi[3]:,}); churn rate {pct(kpi[4])}, "
                f"CRR {pct(kpi[5])}, NRR {pct(kpi[6])}",
                f"  net revenue {kpi[7]:,.2f} {ccy}, of which from existing partners {kpi[8]:,.2f} {ccy}",
                f"  top-20% partners' revenue share {pct(kpi[9])}; Platinum tier's share {pct(kpi[10])}",
            ]
            leads = con.execute(
                """
                select leads_created, leads_created_growth, leads_created_yoy_growth, lead_conversion_rate
                from marts.fct_leads_monthly
                where dimension_name = 'program' and month_start_date = ?
                """,
                [kpi[0]],
            ).fetchone()
            if leads:
                lines.append(
                    f"  leads created {leads[0]:,} ({pct(leads[1])} over the previous month, {pct(leads[2])} over a "
                    f"year earlier); {pct(leads[3])} of them converted so far (fct_leads_monthly)"
                )
            payouts = con.execute(
                """
                select payouts_paid_count, hours_to_payment_median, paid_within_sla_rate, open_past_sla_count
                from marts.fct_payouts_monthly
                where dimension_name = 'program' and month_start_date = ?
                """,
                [kpi[0]],
            ).fetchone()
            if payouts:
                median = "n/a" if payouts[1] is None else f"{payouts[1]:.1f} h"
                lines.append(
                    f"  payouts paid {payouts[0]:,}, median {median} from request to payment, {pct(payouts[2])} "
                    f"within the SLA; {payouts[3]:,} requests open past it (fct_payouts_monthly)"
                )
        # Surveys come in waves: the NPS of the last complete month that had answers.
        nps = con.execute(
            """
            select month_start_date, nps, responding_partners_count, nps_coverage_rate
            from marts.fct_nps_monthly
            where dimension_name = 'program' and not is_partial_period and responding_partners_count > 0
            order by month_start_date desc
            limit 1
            """
        ).fetchone()
        if nps:
            score = "n/a (too few answers)" if nps[1] is None else f"{nps[1]:+.0f}"
            lines.append(
                f"  NPS {score} in {nps[0]:%B %Y} (last survey month): {nps[2]:,} partners answered, "
                f"{'n/a' if nps[3] is None else f'{nps[3]:.1%}'} of the active ones (fct_nps_monthly)"
            )
    return "\n".join(lines)


def published_summary() -> str:
    """How a BI tool opens the live published version; the last line says which version it is and where."""
    from orchestration.lib.publish import PublishSettings, current_entry, live_log

    settings = PublishSettings.from_settings(Settings.from_env())
    entry = current_entry(live_log(settings))
    if entry is None:
        return "nothing published yet"
    rows = entry.get("row_counts", {})
    return "\n".join(
        [
            f"  DuckDB (read-only): duckdb -readonly {settings.stable_db} "
            '"select * from fct_program_kpis_monthly order by month_start_date desc limit 12"',
            f"  Python: duckdb.connect('{settings.stable_db}', read_only=True)",
            f"  Parquet, one file per mart: {settings.published_dir}/v{entry['version']:04d}/<mart>.parquet",
            "  BI tools (Superset, Metabase, Tableau, Power BI): docs/bi.md",
            "  versions and restatements: pra versions; roll back: pra rollback <version>",
            f"published version {entry['version']} (as of {entry.get('as_of_date')}, {len(rows)} marts): "
            f"{settings.stable_db}",
        ]
    )


def cmd_report(args: argparse.Namespace) -> int:
    """Regenerate the KPI report from the live published version; with --serve, serve it on 127.0.0.1."""
    from orchestration.lib.report import build_report, serve

    settings = Settings.from_env()
    if not settings.published_db.exists():
        print(f"pra report: nothing published yet ({settings.published_db} does not exist)", file=sys.stderr)
        return 1
    files = build_report(settings.published_db, settings.report_dir, memory_limit=settings.duckdb_memory_limit)
    print(f"KPI report: {files.index} ({files.partner_count:,} partner scorecards, {files.seconds} s)")
    if not args.serve:
        return 0
    server = serve(settings.report_dir, args.port)
    print(f"serving {settings.report_dir} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate demo data (cached), run the pipeline through Dagster, print where the marts are."""
    from demo.generator import generate

    settings = Settings.from_env()
    manifest_file = settings.landing_dir / "_manifest.json"
    cached = manifest_file.exists() and json.loads(manifest_file.read_text()).get("preset") == args.preset
    if not cached:
        print(f"generating the '{args.preset}' demo data set into {settings.landing_dir} ...", flush=True)
        generate(settings.landing_dir, args.preset, force=True)
    manifest = json.loads(manifest_file.read_text())
    first, last = date.fromisoformat(manifest["start"]), date.fromisoformat(manifest["end"])
    if not os.environ.get("PRA_PARTITIONS_START"):
        # The demo's partitions start where its data starts, not years of empty days before it.
        settings = replace(settings, partitions_start=first)
    print(f"running the pipeline through Dagster for {first} .. {last} (one run) ...", flush=True)
    # The demo's one run fits the predictive models too (the weekly job), so its marts carry P(alive).
    result = run_range(first, last, persistent=not args.no_record, predict=True, settings=settings)
    print(f"full log: {run_log(settings, result.run_id)}")
    if not result.success:
        print("the pipeline run FAILED; see the step lines above and the full log (or `make dev` to inspect it)")
        return 1
    print()
    print(summary(settings))
    print()
    if args.no_record:
        print("Dagster UI: not recorded (--no-record)")
    else:
        print(f"Dagster UI: `make dev`, then {settings.ui_url} shows this run (in {dagster_home(settings)})")
    print(f"work warehouse (internal, never for BI): {settings.work_db}")
    print(published_summary())
    print(f"KPI report and partner scorecards: {settings.report_dir / 'index.html'} (or: pra report --serve)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run (or backfill) an inclusive date range as a single Dagster run; a failed run alerts like the sensor."""
    from orchestration.lib.dagster_storage import InstanceSetupError

    settings = Settings.from_env()
    try:
        result = run_range(
            date.fromisoformat(args.start),
            date.fromisoformat(args.end),
            persistent=not args.no_record,
            full_refresh=args.full_refresh,
            allow_volume_jump=args.allow_volume_jump,
            accept_mass_change=args.accept_mass_change,
            predict=args.predict,
            settings=settings,
        )
    except (RangeError, InstanceSetupError) as exc:
        print(f"pra {args.command}: {exc}", file=sys.stderr)
        return 2
    outcome = "success" if result.success else "FAILED"
    print(f"run {result.run_id}: {outcome}; full log: {run_log(settings, result.run_id)}")
    if not result.success:
        # This run executed in this process: the code location's failure sensor never sees it.
        import logging

        from orchestration.defs.alerts import alert_failed_run, logger
        from orchestration.lib.alerts import AlertSettings

        if not logger.handlers:  # show the alert and its delivery on the console (stderr)
            logger.addHandler(logging.StreamHandler())
            logger.setLevel(logging.INFO)
        alert_failed_run(
            result.run_id, result.dagster_run.job_name, result.all_events, AlertSettings.from_settings(settings)
        )
    print(published_line(result))
    return 0 if result.success else 1


def cmd_alerts(settings: Settings) -> int:
    """Post waiting alerts again; print what still waits. Exit code 1 while any alert is undelivered."""
    import logging

    from orchestration.lib.alerts import AlertSettings, flush_outbox, pending_alerts

    alert_settings = AlertSettings.from_settings(settings)
    log = logging.getLogger("pra.alerts")
    waiting = flush_outbox(alert_settings, log)
    if not waiting:
        print("no undelivered alerts")
        return 0
    for item in pending_alerts(alert_settings.outbox):
        first_line = item["text"].splitlines()[0] if item["text"] else ""
        print(f"{item['first_failed_at']}  {item['attempts']} attempt(s), {item['problem']}: {first_line}")
    print(f"{waiting} undelivered alert(s) in {alert_settings.outbox}")
    return 1


def rollback_postgres(settings: Settings, version_text: str) -> int:
    """After the DuckDB rollback: point PostgreSQL's views at the same version, or say why not (exit code 1)."""
    from orchestration.lib.publish import parse_version
    from orchestration.lib.publish_postgres import PostgresPublishError, PostgresTarget, rollback

    target = PostgresTarget.from_settings(settings)
    if target is None:
        return 0
    try:
        done = rollback(target, parse_version(version_text))
    except PostgresPublishError as exc:
        print(f"pra rollback: the DuckDB file is rolled back, PostgreSQL is not: {exc}", file=sys.stderr)
        return 1
    print(f"PostgreSQL {done['target']}: version {done['version']} is live again in schema marts")
    return 0


def _day(text: str) -> str:
    """An argparse type: a YYYY-MM-DD day (kept as text), so a typo is one line, not a traceback."""
    try:
        date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day: {text!r} (use YYYY-MM-DD)") from None
    return text


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `pra` console script."""
    parser = argparse.ArgumentParser(prog="pra", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("manifest", help="parse the dbt project (writes dbt_project/target/manifest.json)")
    demo = sub.add_parser("demo", help="generate demo data, run the pipeline, print a summary")
    demo.add_argument("--preset", default="demo", choices=["small", "demo", "large"])
    no_record = "run on a throwaway Dagster instance: `make dev` will not show the run"
    demo.add_argument("--no-record", action="store_true", help=no_record)
    # Recording is the default now; the old opt-in flag is still accepted.
    demo.add_argument("--record", action="store_true", help=argparse.SUPPRESS)
    for name, text in (
        ("run", "run or backfill an inclusive range of daily partitions as one run"),
        ("backfill", "same as run: backfill or restate an inclusive range as one run"),
    ):
        run = sub.add_parser(name, help=text)
        run.add_argument("--start", required=True, type=_day, help="first day, YYYY-MM-DD")
        run.add_argument("--end", required=True, type=_day, help="last day, YYYY-MM-DD (inclusive)")
        run.add_argument(
            "--full-refresh", action="store_true", help="also rebuild the incremental dbt models from all history"
        )
        run.add_argument(
            "--allow-volume-jump",
            action="store_true",
            help="publish although row counts moved past the gates' tolerance (an intended restatement)",
        )
        run.add_argument("--no-record", action="store_true", help=no_record)
        run.add_argument(
            "--predict",
            action="store_true",
            help="also fit the predictive models (the weekly job; the nightly one joins the last fit's scores)",
        )
        run.add_argument(
            "--accept-mass-change",
            action="store_true",
            help="accept landing days that fail the volume checks (a real mass change; remembered as accepted)",
        )
    sub.add_parser("summary", help="print the loaded/quarantined counts and headline numbers")
    sub.add_parser("versions", help="list published versions (the live one marked *)")
    sub.add_parser("alerts", help="list failure alerts the webhook has not taken yet, and post them again")
    report = sub.add_parser("report", help="regenerate the KPI report from the live published version")
    report.add_argument("--serve", action="store_true", help="then serve it on http://127.0.0.1:<port>/")
    report.add_argument("--port", type=int, default=8765, help="port for --serve (default 8765; 0 picks a free one)")
    rollback = sub.add_parser("rollback", help="republish a kept earlier version as the live one")
    rollback.add_argument("version", help="version number, e.g. 3 or v0003")
    args = parser.parse_args(argv)
    if args.command == "manifest":
        print(build_manifest())
        return 0
    if args.command == "summary":
        print(summary(Settings.from_env()))
        return 0
    if args.command == "alerts":
        return cmd_alerts(Settings.from_env())
    if args.command == "versions":
        from orchestration.lib import publish
        from orchestration.lib.publish_postgres import PostgresTarget, status_line

        code = publish.main(["list"])
        target = PostgresTarget.from_settings(Settings.from_env())
        if target:
            print(status_line(target))
        return code
    if args.command == "rollback":
        from orchestration.lib import publish

        code = publish.main(["rollback", args.version])
        if code:
            return code
        code = rollback_postgres(Settings.from_env(), args.version)
        # The report shows the live version: draw it again from the version now live. The rollback stands even
        # if an old version lacks a mart the report draws.
        try:
            cmd_report(argparse.Namespace(serve=False, port=0))
        except Exception as exc:  # noqa: BLE001
            print(f"pra rollback: the KPI report was not redrawn: {exc!r}", file=sys.stderr)
        return code
    return {"demo": cmd_demo, "run": cmd_run, "backfill": cmd_run, "report": cmd_report}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
