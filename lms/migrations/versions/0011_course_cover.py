"""A course's cover: a named colour and an optional image, from course.toml

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('cover_image', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('cover_image_type', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('cover_image_digest', sa.String(length=16), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_column('cover_image_digest')
        batch_op.drop_column('cover_image_type')
        batch_op.drop_column('cover_image')
        batch_op.drop_column('cover')
