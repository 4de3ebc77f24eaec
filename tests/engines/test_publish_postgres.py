"""PostgreSQL as a publish target: one real small-preset nightly run publishes into a real PostgreSQL server.

What a person can check: the marts there equal the published DuckDB file's (rows, money sums to the cent), the
dbt descriptions are column comments, the BI login reads the marts and nothing else, the partner-management login
reads the names, a wrong password is refused, the password is in no log or Dagster event, and BI queries running
through five more publishes see no error and no mix of two versions.
"""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import psycopg2
import pytest

from orchestration.lib.dagster_storage import ephemeral_instance
from orchestration.lib.publish import DB_NAME, is_personal
from orchestration.lib.publish_postgres import PostgresPublishError, PostgresTarget, publish_version, rollback
from tests.helpers import PipelineDirs, environ, query

pytestmark = pytest.mark.engines

DATABASE = "partner_retention"
PIPELINE_USER = "pra_pipeline"


def _sql(server, sql: str, dbname: str = DATABASE, **login) -> list[tuple]:
    """Run one statement on `dbname` (as the superuser unless `user`/`password` say otherwise); its rows."""
    con = psycopg2.connect(**server.connect_kwargs(dbname=dbname, **login))
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []
    finally:
        con.close()


def _pipeline_role(server, dbname: str, password: str) -> None:
    """The pipeline's login role as an administrator would create it: it may create schemas and group roles."""
    exists = _sql(server, f"select 1 from pg_roles where rolname = '{PIPELINE_USER}'", dbname="postgres")
    if not exists:
        _sql(server, f"create role {PIPELINE_USER} login createrole password '{password}'", dbname="postgres")
    _sql(server, f"grant create on database {dbname} to {PIPELINE_USER}", dbname="postgres")


@pytest.fixture(scope="module")
def published(postgres_server, tmp_path_factory):
    """The small preset through the nightly job (`pra run`'s code path) with the PostgreSQL target configured."""
    from demo.generator import generate
    from orchestration.cli import run_range
    from orchestration.lib.settings import Settings

    password = secrets.token_urlsafe(18)
    postgres_server.create_database(DATABASE)
    _pipeline_role(postgres_server, DATABASE, password)
    # Raw data in the same database, which no BI login may read.
    _sql(postgres_server, "create schema raw")
    _sql(postgres_server, "create table raw.partners as select 'P00001' as partner_id, 'Alpha Ltd' as partner_name")
    dirs = PipelineDirs(tmp_path_factory.mktemp("pg_publish"))
    generate(dirs.landing, "small")
    manifest = dirs.manifest()
    env = {
        **dirs.env(),
        "PRA_LOG_LEVEL": "DEBUG",  # every Dagster log line reaches the log file the password must not be in
        "PRA_PUBLISH_PG_HOST": postgres_server.host,
        "PRA_PUBLISH_PG_PORT": str(postgres_server.port),
        "PRA_PUBLISH_PG_DATABASE": DATABASE,
        "PRA_PUBLISH_PG_USER": PIPELINE_USER,
        "PRA_PUBLISH_PG_PASSWORD": password,
    }
    instance = ephemeral_instance()
    started = time.perf_counter()
    with environ(env):
        result = run_range(
            date.fromisoformat(manifest["start"]),
            date.fromisoformat(manifest["end"]),
            persistent=False,
            settings=Settings.from_env(),
            instance=instance,
        )
    print(f"small-preset nightly run with the PostgreSQL target: {time.perf_counter() - started:.1f} s")
    assert result.success, "the nightly run with the PostgreSQL target failed; see its log under warehouse/logs"
    # The login users a BI tool and a partner manager would use, members of the group roles the publish created.
    logins = {"bi": ("bi_alice", secrets.token_urlsafe(12)), "partner": ("pm_bob", secrets.token_urlsafe(12))}
    for (user, secret), group in zip(logins.values(), ("pra_bi", "pra_partner_managers"), strict=True):
        _sql(postgres_server, f"create role {user} login password '{secret}' in role {group}", dbname="postgres")
    return {"dirs": dirs, "env": env, "password": password, "result": result, "instance": instance, "logins": logins}


def _login(published, who: str) -> dict:
    user, secret = published["logins"][who]
    return {"user": user, "password": secret}


def _stable_db(published) -> Path:
    return published["dirs"].warehouse / "marts.duckdb"


def _marts(published) -> list[str]:
    rows = query(_stable_db(published), "select table_name from duckdb_tables() where table_name not like 'publish_%'")
    return sorted(name for (name,) in rows)


def test_the_marts_in_postgres_equal_the_published_duckdb_file(postgres_server, published):
    marts = _marts(published)
    assert len(marts) >= 30
    (live,) = query(_stable_db(published), "select max(version) from publish_log")[0]
    assert _sql(postgres_server, "select version from marts.publication") == [(live,)]
    materialization = published["result"].asset_materializations_for_node("published_marts")[0]
    assert materialization.metadata["postgres_schema"].value == f"pra_v{live:04d}"
    views = {name for (name,) in _sql(postgres_server, "select viewname from pg_views where schemaname = 'marts'")}
    assert views == {*marts, "publication"}
    sums = 0
    for mart in marts:
        columns = query(
            _stable_db(published),
            "select column_name from duckdb_columns() where table_name = ? and data_type like 'DECIMAL%'",
            [mart],
        )
        money = [c for (c,) in columns]
        select = ", ".join(["count(*)", *(f'round(sum("{c}"), 2)' for c in money)])
        in_duckdb = query(_stable_db(published), f'select {select} from "{mart}"')[0]
        in_postgres = _sql(postgres_server, f'select {select} from marts."{mart}"')[0]
        assert tuple(in_postgres) == tuple(in_duckdb), mart
        sums += len(money)
    assert sums >= 40  # every decimal (money) column of every mart, summed to the cent on both sides
    # One headline number by hand: lifetime net revenue of the program, to the cent, in both places.
    revenue = "select round(sum(net_revenue_reporting), 2) from {}fct_program_kpis_monthly"
    assert (
        _sql(postgres_server, revenue.format("marts."))[0][0] == query(_stable_db(published), revenue.format(""))[0][0]
    )


def test_dbt_descriptions_are_comments_on_what_bi_reads(postgres_server, published):
    described = query(
        _stable_db(published),
        "select table_name, column_name, comment from duckdb_columns() "
        "where comment is not null and comment <> '' and table_name not like 'publish_%'",
    )
    assert len(described) > 300
    in_postgres = _sql(
        postgres_server,
        "select c.relname, a.attname, col_description(c.oid, a.attnum) from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 "
        "where n.nspname = 'marts' and c.relkind = 'v' and col_description(c.oid, a.attnum) is not null",
    )
    assert sorted(in_postgres) == sorted(described)
    (table_comment,) = _sql(postgres_server, "select obj_description('marts.fct_program_kpis_monthly'::regclass)")[0]
    assert (
        table_comment
        and table_comment
        == query(
            _stable_db(published), "select comment from duckdb_tables() where table_name = 'fct_program_kpis_monthly'"
        )[0][0]
    )


def test_the_bi_login_reads_the_marts_and_nothing_else(postgres_server, published):
    bi = _login(published, "bi")
    (live,) = _sql(postgres_server, "select version from marts.publication")[0]
    (months,) = _sql(postgres_server, "select count(*) from marts.fct_program_kpis_monthly", **bi)[0]
    assert months == query(_stable_db(published), "select count(*) from fct_program_kpis_monthly")[0][0] > 0
    # Not the versioned tables behind the views (BI must not pin a version that will be dropped), not the raw
    # data, not the restricted names, and no writing.
    denied = {
        f"select * from pra_v{live:04d}.fct_program_kpis_monthly": f"permission denied for schema pra_v{live:04d}",
        "select partner_name from raw.partners": "permission denied for schema raw",
        "select partner_name from restricted.internal_partners_at_risk_contacts": "permission denied for schema",
        "create table marts.mine (x int)": "permission denied for schema marts",
        "drop view marts.fct_program_kpis_monthly": "must be owner",
    }
    for statement, message in denied.items():
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match=message):
            _sql(postgres_server, statement, **bi)
    # No column a BI login can see holds a name or an e-mail.
    visible = _sql(
        postgres_server,
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema not in ('pg_catalog', 'information_schema')",
        **bi,
    )
    assert {schema for schema, _, _ in visible} == {"marts"}
    assert [c for _, _, c in visible if is_personal(c)] == []


def test_the_partner_management_login_reads_the_names(postgres_server, published):
    partner = _login(published, "partner")
    work_db = published["dirs"].work_db
    at_risk = _sql(
        postgres_server,
        "select risk_rank, partner_id, partner_name, account_manager "
        "from restricted.internal_partners_at_risk_contacts",
        **partner,
    )
    expected = query(
        work_db,
        "select risk_rank, partner_id, partner_name, account_manager from internal.internal_partners_at_risk_contacts",
    )
    assert sorted(at_risk) == sorted(expected) and len(at_risk) > 0
    assert all(name for _, _, name, _ in at_risk)
    # The restricted views carry the dbt descriptions too (persist_docs on models/internal/).
    (described,) = _sql(
        postgres_server, "select obj_description('restricted.internal_partners_at_risk_contacts'::regclass)"
    )[0]
    assert described.startswith("The current at-risk list")
    scorecards = _sql(
        postgres_server,
        "select count(*), count(distinct partner_name), round(sum(net_revenue_reporting), 2) "
        "from restricted.internal_partner_scorecards_monthly",
        **partner,
    )[0]
    assert scorecards == tuple(
        query(
            work_db,
            "select count(*), count(distinct partner_name), round(sum(net_revenue_reporting), 2) "
            "from internal.internal_partner_scorecards_monthly",
        )[0]
    )
    assert scorecards[1] == 80  # the small preset's 80 partners, by name
    assert _sql(postgres_server, "select count(*) from marts.dim_partners", **partner)[0][0] == 80
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied for schema raw"):
        _sql(postgres_server, "select * from raw.partners", **partner)


def test_a_wrong_password_is_refused(postgres_server, published):
    user, _ = published["logins"]["bi"]
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        _sql(postgres_server, "select 1", user=user, password="not-the-password")
    target = PostgresTarget.from_settings(_settings(published, PRA_PUBLISH_PG_PASSWORD="not-the-password"))
    with pytest.raises(PostgresPublishError, match="password authentication failed") as refused:
        rollback(target, 1)
    assert "not-the-password" not in str(refused.value)


def test_the_password_is_in_no_log_and_no_dagster_event(published):
    password = published["password"]
    logs = list((published["dirs"].warehouse / "logs").glob("pra-*.log"))
    assert len(logs) == 1
    text = logs[0].read_text()
    assert "PostgreSQL pra_pipeline@127.0.0.1" in text  # the publish did log, as whom and where
    assert password not in text
    instance, run_id = published["instance"], published["result"].run_id
    records = instance.all_logs(run_id)
    assert len(records) > 500
    stored = "\n".join(dg.serialize_value(record) for record in records)
    assert "postgres_swap_ms" in stored
    assert password not in stored
    assert password not in dg.serialize_value(instance.get_run_by_id(run_id))


def test_a_failed_postgres_publish_fails_the_step_and_keeps_the_duckdb_version(postgres_server, published):
    """Publish again with a wrong PostgreSQL password: DuckDB gets version 2, the step fails saying so, BI on
    PostgreSQL keeps reading version 1 whole."""
    from tests.integration.wap_helpers import gate_and_publish

    with environ({**published["env"], "PRA_PUBLISH_PG_PASSWORD": "not-the-password"}):
        result = gate_and_publish(published["dirs"])
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "published_marts"
    message = failure.event_specific_data.error.message
    assert "version 2 is published to" in message and "but not to PostgreSQL" in message
    assert "password authentication failed" in message and "not-the-password" not in message
    assert query(_stable_db(published), "select max(version) from publish_log")[0][0] == 2
    assert _sql(postgres_server, "select version from marts.publication") == [(1,)]


def _settings(published, **overrides: str):
    from orchestration.lib.settings import Settings

    return Settings.from_env({**published["env"], **overrides})


def _variant(source: Path, root: Path, version: int, marts: tuple[str, str]) -> tuple[Path, dict]:
    """A copy of a version's file with `version - 1` rows fewer in both `marts`: counts tell versions apart."""
    db = root / f"v{version:04d}" / DB_NAME
    db.parent.mkdir(parents=True)
    shutil.copyfile(source, db)
    with duckdb.connect(str(db)) as con:
        for mart in marts:
            con.execute(f"delete from {mart} where rowid in (select rowid from {mart} limit {version - 1})")
        counts = {m: con.execute(f'select count(*) from "{m}"').fetchone()[0] for m in _names(con)}
    return db, counts


def _names(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("select table_name from duckdb_tables() where table_name not like 'publish_%'").fetchall()
    return [name for (name,) in rows]


def test_bi_readers_see_no_error_and_no_mixed_version_through_five_publishes(postgres_server, published, tmp_path):
    database, marts = "pra_under_load", ("fct_partner_monthly", "fct_partner_scorecard_monthly")
    postgres_server.create_database(database)
    _pipeline_role(postgres_server, database, published["password"])
    target = PostgresTarget.from_settings(_settings(published, PRA_PUBLISH_PG_DATABASE=database))
    source = published["dirs"].warehouse / "published" / "v0001" / DB_NAME
    work_db = published["dirs"].work_db
    base = {m: query(source, f"select count(*) from {m}")[0][0] for m in marts}

    def publish(version: int) -> dict:
        db, counts = _variant(source, tmp_path, version, marts)
        entry = {"version": version, "row_counts": counts, "as_of_date": "2025-03-31", "run_id": f"load-{version}"}
        return publish_version(target, entry, db, work_db)

    publish(1)
    user, secret = published["logins"]["bi"]
    stop, outcomes, lock = (
        threading.Event(),
        {"queries": 0, "errors": [], "mixed": [], "versions": set(), "slowest": 0.0},
        threading.Lock(),
    )
    # One statement reads the version marker and two marts; each mart's count says which version it came from.
    statement = (
        f"select p.version, (select count(*) from marts.{marts[0]}), (select count(*) from marts.{marts[1]}) "
        "from marts.publication as p"
    )

    def reader() -> None:
        con = psycopg2.connect(**postgres_server.connect_kwargs(user=user, password=secret, dbname=database))
        con.autocommit = True  # as BI tools run their queries: each statement its own transaction
        try:
            while not stop.is_set():
                asked = time.perf_counter()
                try:
                    with con.cursor() as cur:
                        cur.execute(statement)
                        version, first, second = cur.fetchone()
                except psycopg2.Error as exc:
                    with lock:
                        outcomes["errors"].append(str(exc).strip())
                    continue
                with lock:
                    outcomes["queries"] += 1
                    outcomes["slowest"] = max(outcomes["slowest"], time.perf_counter() - asked)
                    outcomes["versions"].add(version)
                    if (first, second) != (base[marts[0]] - version + 1, base[marts[1]] - version + 1):
                        outcomes["mixed"].append((version, first, second))
        finally:
            con.close()

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    swaps = []
    started = time.perf_counter()
    try:
        for version in range(2, 7):
            done = publish(version)
            swaps.append(f"{done['swap_ms']:.0f} ms ({done['swap_attempts']} attempts)")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    seconds = time.perf_counter() - started
    print(
        f"readers under load: {outcomes['queries']} queries in {seconds:.1f} s through 5 publishes, "
        f"{len(outcomes['errors'])} errors, {len(outcomes['mixed'])} mixed versions, versions seen "
        f"{sorted(outcomes['versions'])}, slowest query {outcomes['slowest'] * 1000:.0f} ms; swaps: {', '.join(swaps)}"
    )
    assert outcomes["errors"] == [] and outcomes["mixed"] == []
    assert len(outcomes["versions"]) >= 3 and outcomes["queries"] >= 50
    assert _sql(postgres_server, "select version from marts.publication", dbname=database) == [(6,)]
    # PRA_KEEP_VERSIONS (5): version 1 was dropped, 2 to 6 are kept.
    schemas = _sql(
        postgres_server, "select nspname from pg_namespace where nspname ~ '^pra_v' order by 1", dbname=database
    )
    assert [s for (s,) in schemas] == [f"pra_v{v:04d}{suffix}" for v in range(2, 7) for suffix in ("", "_restricted")]


def test_pra_rollback_and_versions_include_postgres(postgres_server, published, tmp_path, capsys):
    """A second version in PostgreSQL, then `pra rollback 1`: both targets read version 1; `pra versions` says so."""
    from orchestration.cli import main

    target = PostgresTarget.from_settings(_settings(published))
    source = published["dirs"].warehouse / "published" / "v0001" / DB_NAME
    db, counts = _variant(source, tmp_path, 2, ("fct_partner_monthly", "dim_partners"))
    publish_version(
        target, {"version": 2, "row_counts": counts, "as_of_date": "2025-03-31"}, db, published["dirs"].work_db
    )
    assert _sql(postgres_server, "select version from marts.publication") == [(2,)]
    with environ(published["env"]):
        assert main(["rollback", "1"]) == 0
        assert _sql(postgres_server, "select version from marts.publication") == [(1,)]
        assert main(["versions"]) == 0
    out = capsys.readouterr().out
    assert "PostgreSQL pra_pipeline@127.0.0.1" in out and "version 1 is live again in schema marts" in out
    assert f"pra_pipeline@127.0.0.1:{postgres_server.port}/{DATABASE}: version 1 live in schema marts" in out
    assert "kept versions: 1, 2" in out
    with pytest.raises(
        PostgresPublishError, match=r"version 9 is not kept .* \(kept: 1, 2\); BI on PostgreSQL still reads version 1"
    ):
        rollback(target, 9)
