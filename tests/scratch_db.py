"""A new, empty database for the migration tests.

A migration test that starts from the test database (migrated to the latest state) has to
unapply every later migration of every app that depends on the one it tests, and apply
them all again at the end: Django renders the project state for each operation on the way,
which took the coaching test 14 minutes of a CI run. On an empty database it applies only
the migrations up to the state it tests, and the test database is never touched.
"""

import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@contextmanager
def scratch_database():
    """Point the default connection at a new empty database while the block runs; drop it
    afterwards and reconnect to the test database. Only for ``transaction=True`` tests (no
    transaction may be open when the connection is switched)."""
    saved = connection.settings_dict["NAME"]
    connection.close()
    with tempfile.TemporaryDirectory() as folder:
        if connection.vendor == "postgresql":
            name = f"{saved}_scratch"
            _execute_without_database(f'DROP DATABASE IF EXISTS "{name}"')
            _execute_without_database(f'CREATE DATABASE "{name}"')
        else:
            name = str(Path(folder) / "scratch.sqlite3")
        connection.settings_dict["NAME"] = name
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["NAME"] = saved
            if connection.vendor == "postgresql":
                _execute_without_database(f'DROP DATABASE IF EXISTS "{name}"')


def _execute_without_database(sql: str) -> None:
    with connection._nodb_cursor() as cursor:
        cursor.execute(sql)


def migrate(targets):
    """Migrate the current database to ``targets``; the historical models at that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps
