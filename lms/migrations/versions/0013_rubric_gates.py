"""Assignment calibration exemplars: a strong answer with an experienced mentor's scores, for mentors and admins

Rubric gates (a criterion's ``min_level``) live in the existing ``assignment.criteria`` JSON and need no column.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 05:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exemplar', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_column('exemplar')
