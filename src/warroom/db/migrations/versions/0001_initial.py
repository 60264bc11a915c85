"""initial schema: incidents, timeline, tokens

Revision ID: 0001
Revises: 
"""
import sqlalchemy as sa
from alembic import op

import warroom.db.base

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('api_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', warroom.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('name', name=op.f('uq_api_tokens_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('counters',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counters'))
    )
    op.create_table('incidents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('labels', warroom.db.base.JSONType, nullable=False),
    sa.Column('root_cause', sa.Text(), nullable=True),
    sa.Column('assignee', sa.String(length=200), nullable=True),
    sa.Column('affected_users_pct', sa.Float(), nullable=True),
    sa.Column('error_rate_pct', sa.Float(), nullable=True),
    sa.Column('revenue_impact_per_hour', sa.Float(), nullable=True),
    sa.Column('security_incident', sa.Boolean(), nullable=True),
    sa.Column('data_loss', sa.Boolean(), nullable=True),
    sa.Column('core_feature_affected', sa.Boolean(), nullable=True),
    sa.Column('created_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('triggered_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('acknowledged_at', warroom.db.base.UTCDateTime(), nullable=True),
    sa.Column('investigating_at', warroom.db.base.UTCDateTime(), nullable=True),
    sa.Column('identified_at', warroom.db.base.UTCDateTime(), nullable=True),
    sa.Column('mitigated_at', warroom.db.base.UTCDateTime(), nullable=True),
    sa.Column('resolved_at', warroom.db.base.UTCDateTime(), nullable=True),
    sa.Column('closed_at', warroom.db.base.UTCDateTime(), nullable=True),
    sa.Column('reopened_at', warroom.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('number', name=op.f('uq_incidents_number'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_severity'), ['severity'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_status'), ['status'], unique=False)

    op.create_table('incident_roles',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('person', sa.String(length=200), nullable=False),
    sa.Column('assigned_at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('assigned_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_roles_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_roles')),
    sa.UniqueConstraint('incident_id', 'role', 'person', name=op.f('uq_incident_roles_incident_id'))
    )
    with op.batch_alter_table('incident_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_roles_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_services',
    sa.Column('incident_id', sa.Uuid(), nullable=False),
    sa.Column('service', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_services_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', 'service', name=op.f('pk_incident_services'))
    )
    with op.batch_alter_table('incident_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_services_service'), ['service'], unique=False)

    op.create_table('timeline_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.Uuid(), nullable=False),
    sa.Column('at', warroom.db.base.UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('details', warroom.db.base.JSONType, nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_timeline_entries_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline_entries'))
    )
    with op.batch_alter_table('timeline_entries', schema=None) as batch_op:
        batch_op.create_index('ix_timeline_incident_at', ['incident_id', 'at', 'id'], unique=False)

    # Seed the incident-number counter so concurrent first incidents never race to create it.
    op.bulk_insert(sa.table('counters', sa.column('name', sa.String), sa.column('value', sa.Integer)),
                   [{'name': 'incident', 'value': 0}])




def downgrade() -> None:

    with op.batch_alter_table('timeline_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_timeline_incident_at')

    op.drop_table('timeline_entries')
    with op.batch_alter_table('incident_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_services_service'))

    op.drop_table('incident_services')
    with op.batch_alter_table('incident_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_roles_incident_id'))

    op.drop_table('incident_roles')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_status'))
        batch_op.drop_index(batch_op.f('ix_incidents_severity'))
        batch_op.drop_index(batch_op.f('ix_incidents_created_at'))

    op.drop_table('incidents')
    op.drop_table('counters')
    op.drop_table('api_tokens')

