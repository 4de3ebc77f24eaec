"""A real, throwaway PostgreSQL server for the tests: Debian's `postgresql` binaries, its own data directory,
listening on 127.0.0.1 only, on a free port, with password authentication over TCP.

`tests/system_deps.sh engines` installs the package (`make test-engines` runs it). initdb refuses to run
as root, so as root the server runs as the package's `postgres` user. The superuser's password is random per
server and is handed to the tests in memory, never written to a committed file.

    with running_server() as pg:
        psycopg2.connect(**pg.connect_kwargs())
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "pra_admin"


def _bin_dir() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def available() -> str | None:
    """None when a server can be started here, else why not (the tests skip with it, or fail on CI)."""
    if _bin_dir() is None:
        return "PostgreSQL server binaries not found (tests/system_deps.sh installs Debian's postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: initdb cannot run as root"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class PostgresServer:
    """A running server: where it listens and the superuser's credentials."""

    host: str
    port: int
    superuser: str
    password: str
    data_dir: Path

    def connect_kwargs(self, user: str | None = None, password: str | None = None, dbname: str = "postgres") -> dict:
        """psycopg2.connect(**...) for the superuser (default) or another role, over TCP."""
        return {
            "host": self.host,
            "port": self.port,
            "user": user or self.superuser,
            "password": self.password if password is None else password,
            "dbname": dbname,
        }

    def create_database(self, name: str) -> None:
        """A new empty database owned by the superuser."""
        import psycopg2

        con = psycopg2.connect(**self.connect_kwargs())
        try:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute(f'create database "{name}"')
        finally:
            con.close()

    def engine_env(self, database: str) -> dict[str, str]:
        """The settings that put the pipeline's dbt on this server's `database` (PRA_ENGINE and PRA_PG_*)."""
        return {
            "PRA_ENGINE": "postgres",
            "PRA_PG_HOST": self.host,
            "PRA_PG_PORT": str(self.port),
            "PRA_PG_DATABASE": database,
            "PRA_PG_USER": self.superuser,
            "PRA_PG_PASSWORD": self.password,
        }

    def postmaster_pid(self) -> int:
        """The server's main process (its backends are its children)."""
        return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def running_server(settings: Mapping[str, str] | None = None) -> Iterator[PostgresServer]:
    """Start a server in a new temporary folder; stop it (fast shutdown) and remove the folder when the block ends.

    `settings`: server parameters beyond the defaults (`-c name=value`), e.g. the bench's memory settings.

    Not under pytest's tmp_path: as root the server runs as `postgres`, which cannot enter pytest's 0700 folders.
    """
    reason = available()
    if reason:
        raise RuntimeError(reason)
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="pra-pg-"))
    data_dir = root / "pgdata"
    socket_dir = root / "pgsocket"
    socket_dir.mkdir(exist_ok=True)
    password = secrets.token_urlsafe(24)
    pwfile = root / "pgpass.tmp"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(socket_dir, "postgres")
        shutil.chown(pwfile, "postgres")
    pwfile.chmod(0o600)
    port = _free_port()
    log = root / "postgres.log"
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data_dir),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                ]
            ),
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={socket_dir} -c fsync=off"
    options += "".join(f" -c {name}={value}" for name, value in (settings or {}).items())
    subprocess.run(
        _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-l", str(log), "-o", options, "-w", "start"]),
        check=True,
        capture_output=True,
        text=True,
    )
    server = PostgresServer("127.0.0.1", port, SUPERUSER, password, data_dir)
    try:
        _wait_ready(server)
        yield server
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            text=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(server: PostgresServer, timeout: float = 30.0) -> None:
    import psycopg2

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg2.connect(**server.connect_kwargs(), connect_timeout=2).close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
