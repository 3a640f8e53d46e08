"""PostgreSQL, with the tenant of every statement set for row-level security.

``ENGINE = "tenancy.db"`` (settings choose it for every ``postgres://`` URL). Before each
statement the wrapper compares what :func:`tenancy.rls.wanted_settings` asks for with what
the connection holds and, only when they differ, sets ``app.organization_id`` and
``app.rls_bypass``: transaction-local inside a transaction (``set_config(..., true)``, gone
at its end), on the session in autocommit (where each statement is its own transaction).
What the connection holds is forgotten at every commit, rollback, rollback to a savepoint
and change of autocommit, so a value that the database dropped is never assumed.
"""

from django.db.backends.postgresql import base, schema

from tenancy import rls

SET_SQL = (f"SELECT set_config('{rls.ORGANIZATION_SETTING}', %s, %s), "
           f"set_config('{rls.BYPASS_SETTING}', %s, %s)")


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    """Drops a table's tenant policies before the column they read changes or goes
    (PostgreSQL refuses otherwise); ``migrate`` gives the table its policies back after the
    migrations, or never again once it has no ``organization_id``."""

    def _drop_tenant_policies(self, model) -> None:
        table = self.quote_name(model._meta.db_table)
        for name in (rls.POLICY, rls.BYPASS_POLICY):
            self.execute(f"DROP POLICY IF EXISTS {name} ON {table}")

    def remove_field(self, model, field):
        if getattr(field, "column", None) == "organization_id":
            self._drop_tenant_policies(model)
        return super().remove_field(model, field)

    def alter_field(self, model, old_field, new_field, strict=False):
        if "organization_id" in (old_field.column, new_field.column) and (
            old_field.column != new_field.column
            or old_field.db_parameters(connection=self.connection)
            != new_field.db_parameters(connection=self.connection)
        ):
            self._drop_tenant_policies(model)
        return super().alter_field(model, old_field, new_field, strict=strict)


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._rls_session = None  # what the session holds, outside transactions
        self._rls_local = None  # what the current transaction holds
        self.execute_wrappers.append(self._apply_row_level_security)

    def _apply_row_level_security(self, execute, sql, params, many, context):
        wanted = rls.wanted_settings()
        in_transaction = not self.autocommit
        held = self._rls_local if in_transaction else self._rls_session
        if held != wanted:
            with self.connection.cursor() as cursor:
                cursor.execute(SET_SQL, [wanted[0], in_transaction, wanted[1], in_transaction])
            if in_transaction:
                self._rls_local = wanted
            else:
                self._rls_session = wanted
        return execute(sql, params, many, context)

    def _forget_local(self):
        self._rls_local = None

    def connect(self):
        self._rls_session = self._rls_local = None
        return super().connect()

    def _close(self):
        self._rls_session = self._rls_local = None
        return super()._close()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._forget_local()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._forget_local()

    def _savepoint_rollback(self, sid):
        try:
            return super()._savepoint_rollback(sid)
        finally:
            self._forget_local()

    def _set_autocommit(self, autocommit):
        try:
            return super()._set_autocommit(autocommit)
        finally:
            self._forget_local()
