"""alerts, integrations, silences

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import warroom.db.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('integrations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('service', sa.String(length=200), nullable=True),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('key_prefix', sa.String(length=16), nullable=False),
    sa.Column('options', warroom.db.base.JSONType, nullable=False),
    sa.Column('declared_in', sa.String(length=16), nullable=False),
    sa.Column('created_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('disabled_at', warroom.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrations')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_integrations_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_integrations_name'))
    )
    op.create_table('silences',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('matchers', warroom.db.base.JSONType, nullable=False),
    sa.Column('starts_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('ends_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('updated_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_silences'))
    )
    with op.batch_alter_table('silences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_silences_ends_at'), ['ends_at'], unique=False)

    op.create_table('alert_groups',
    sa.Column('group_key', sa.String(length=1000), nullable=False),
    sa.Column('route_id', sa.String(length=200), nullable=False),
    sa.Column('incident_id', sa.Uuid(), nullable=True),
    sa.Column('last_alert_at', warroom.db.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_alert_groups_incident_id_incidents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('group_key', name=op.f('pk_alert_groups'))
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('labels', warroom.db.base.JSONType, nullable=False),
    sa.Column('annotations', warroom.db.base.JSONType, nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('severity_hint', sa.String(length=64), nullable=True),
    sa.Column('dedup_key', sa.String(length=512), nullable=True),
    sa.Column('generator_url', sa.Text(), nullable=True),
    sa.Column('source_format', sa.String(length=32), nullable=False),
    sa.Column('integration_id', sa.Uuid(), nullable=True),
    sa.Column('starts_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('ends_at', warroom.db.base.UTCDateTime(), nullable=True),
    sa.Column('first_seen_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('receive_count', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.String(length=200), nullable=True),
    sa.Column('group_key', sa.Text(), nullable=True),
    sa.Column('service', sa.String(length=200), nullable=True),
    sa.Column('suppressed', warroom.db.base.JSONType, nullable=False),
    sa.Column('incident_id', sa.Uuid(), nullable=True),
    sa.Column('raw', warroom.db.base.JSONType, nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_alerts_incident_id_incidents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], name=op.f('fk_alerts_integration_id_integrations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_alerts_fingerprint'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_alerts_status_ends', ['status', 'ends_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_status_ends')
        batch_op.drop_index(batch_op.f('ix_alerts_incident_id'))

    op.drop_table('alerts')
    op.drop_table('alert_groups')
    with op.batch_alter_table('silences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_silences_ends_at'))

    op.drop_table('silences')
    op.drop_table('integrations')
