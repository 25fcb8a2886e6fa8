"""Login throttles counted from the audit trail: the typed e-mail of login events in its own indexed column

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('login_email', sa.String(length=254), server_default='', nullable=False))
        batch_op.create_index('ix_audit_event_login_email_created', ['login_email', 'created_at'], unique=False)
        batch_op.create_index('ix_audit_event_ip_created', ['ip', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_ip_created')
        batch_op.drop_index('ix_audit_event_login_email_created')
        batch_op.drop_column('login_email')
