"""procrastinate's schema (PostgreSQL only): the task library `warroom worker` runs on

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # the embedded default (SQLite) runs timers in-process, without a queue
    from procrastinate.schema import SchemaManager

    # Straight to psycopg without parameters, in this migration's transaction: the
    # schema's text (plpgsql, comments with `%`) must not be parsed for placeholders.
    bind.connection.driver_connection.execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.connection.driver_connection.execute(
        "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, "
        "procrastinate_jobs, procrastinate_workers CASCADE; "
        "DO $$ DECLARE f record; BEGIN "
        "FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p "
        "WHERE p.proname LIKE 'procrastinate%' LOOP "
        "EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE'; END LOOP; END $$; "
        "DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_status, "
        "procrastinate_job_event_type CASCADE")
