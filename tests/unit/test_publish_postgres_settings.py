"""The PostgreSQL publish target's settings and type map, without a server (the target itself: tests/engines)."""

import duckdb
import pytest

from orchestration.lib.publish_postgres import PostgresPublishError, PostgresTarget, pg_type, scrub
from orchestration.lib.settings import Settings


def test_the_target_is_off_until_a_host_is_set():
    assert PostgresTarget.from_settings(Settings.from_env({})) is None
    target = PostgresTarget.from_settings(
        Settings.from_env(
            {
                "PRA_PUBLISH_PG_HOST": "db.internal",
                "PRA_PUBLISH_PG_PORT": "6432",
                "PRA_PUBLISH_PG_PASSWORD": "s3cret ",
                "PRA_KEEP_VERSIONS": "3",
            }
        )
    )
    assert (target.host, target.port, target.database, target.user, target.keep_versions) == (
        "db.internal",
        6432,
        "partner_retention",
        "pra_pipeline",
        3,
    )
    assert (target.bi_role, target.partner_role) == ("pra_bi", "pra_partner_managers")
    assert target.password == "s3cret "  # not stripped: a password may end in a space


def test_the_password_is_in_no_repr_and_scrubbed_from_error_text():
    settings = Settings.from_env({"PRA_PUBLISH_PG_HOST": "h", "PRA_PUBLISH_PG_PASSWORD": "hunter2-xyz"})
    target = PostgresTarget.from_settings(settings)
    assert "hunter2-xyz" not in repr(settings) and "hunter2-xyz" not in repr(target)
    assert "hunter2-xyz" not in target.describe()
    assert scrub("password=hunter2-xyz refused", target) == "password=*** refused"


def test_every_type_of_a_published_mart_has_a_postgres_type():
    con = duckdb.connect()
    con.execute(
        "create table t as select 1::integer i, 2::bigint b, 1.5::double d, 1.5::decimal(38,4) m, "
        "1.5::decimal(18,4) s, 'x'::varchar v, date '2025-01-01' dt, timestamp '2025-01-01 00:00:00' ts, true f"
    )
    types = [
        pg_type(t) for (t,) in con.execute("select data_type from duckdb_columns() where table_name = 't'").fetchall()
    ]
    assert types == [
        "integer",
        "bigint",
        "double precision",
        "numeric(38, 4)",
        "numeric(18, 4)",
        "text",
        "date",
        "timestamp",
        "boolean",
    ]
    with pytest.raises(PostgresPublishError, match="no PostgreSQL type for the DuckDB type INTEGER\\[\\]"):
        pg_type("INTEGER[]")
