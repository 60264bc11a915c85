"""escalations lose level and cycle: the step last paged is recorded on its timer

Firing a step wrote the escalation row only to note its level; the timer row it moves on
anyway now keeps that record (`paged` in its payload), so a burst writes one row less per
step. `escalation.service.position` reads it.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('escalations') as batch:
        batch.drop_column('level')
        batch.drop_column('cycle')


def downgrade() -> None:
    with op.batch_alter_table('escalations') as batch:
        batch.add_column(sa.Column('level', sa.Integer(), nullable=False, server_default='-1'))
        batch.add_column(sa.Column('cycle', sa.Integer(), nullable=False, server_default='0'))
