"""The test PostgreSQL server itself: reachable on 127.0.0.1 only, and only with the right password."""

import psycopg2
import pytest

pytestmark = pytest.mark.engines


def test_server_listens_on_loopback_and_refuses_a_wrong_password(postgres_server):
    with psycopg2.connect(**postgres_server.connect_kwargs()) as con, con.cursor() as cur:
        cur.execute("select inet_server_addr()::text, current_setting('listen_addresses'), current_user")
        assert cur.fetchone() == ("127.0.0.1/32", "127.0.0.1", "pra_admin")
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(**postgres_server.connect_kwargs(password="not-the-password"))
