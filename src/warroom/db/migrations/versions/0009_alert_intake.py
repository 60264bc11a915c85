"""alert_intake: alerts accepted under load, processed right after

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

import warroom.db.base

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'alert_intake',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=False, nullable=False),
        sa.Column('received_at', warroom.db.base.UTCDateTime(), nullable=False),
        sa.Column('integration_id', sa.Uuid(), nullable=True),
        sa.Column('format', sa.String(length=32), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('alert_count', sa.Integer(), nullable=False),
        sa.Column('failed_at', warroom.db.base.UTCDateTime(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'],
                                name=op.f('fk_alert_intake_integration_id_integrations'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_intake')),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Bodies are written once and read only after a crash: compressing them would
        # cost CPU on every accepted request for nothing.
        op.execute("ALTER TABLE alert_intake ALTER COLUMN body SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table('alert_intake')
