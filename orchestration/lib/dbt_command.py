"""`pra-dbt`: dbt's own command line, except for what decides that a new warehouse must parse the project again.

dbt reuses its saved parse (`partial_parse.msgpack`) only while a hash of the profile's connection values is
unchanged, and dbt-duckdb's values include the work file's whole path. The path is never read while parsing, but
every new warehouse (a user's second one, each bench and test run) therefore parsed the whole project on its first
run (docs/operations.md, "Why dbt does not re-parse the project on every run", says what it costs). This command
hashes the path's file name in its place: the database name dbt-duckdb derives from it, and every other connection
value, stay in the hash, so a new warehouse's first run starts from the project's saved parse (`pra manifest`'s),
which dagster-dbt copies into its empty target folder. Only the check changes; dbt parses, builds and writes as
`dbt` does. The pipeline, `pra manifest` and the tests run dbt through it (lib/dbt_args.py, `installed_dbt`).

tests/integration/test_dbt_asset_specs.py (`test_a_new_warehouse_starts_from_the_projects_saved_parse`) fails
if a dbt upgrade moves the check this wraps, or if the wrapper keeps a parse for another database name.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _path_as_file_name(check):
    """dbt's state check, computed while a DuckDB profile's path is only its file name."""

    def state_check(loader):
        credentials = loader.root_project.credentials
        path = getattr(credentials, "path", None)
        if credentials.type != "duckdb" or not path or path == ":memory:":
            return check(loader)
        credentials.path = Path(path).name
        try:
            return check(loader)
        finally:
            credentials.path = path

    return state_check


def main() -> int:
    """`pra-dbt <dbt arguments>`: what `dbt <dbt arguments>` does (and its exit code)."""
    from dbt.cli.main import cli
    from dbt.parser.manifest import ManifestLoader

    ManifestLoader.build_manifest_state_check = _path_as_file_name(ManifestLoader.build_manifest_state_check)
    sys.argv[0] = "dbt"
    return cli()


if __name__ == "__main__":
    sys.exit(main())
