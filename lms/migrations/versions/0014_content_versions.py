"""Content operations: published versions of each course (with their package) and translation pairing per unit

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 05:30:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'course_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.Column('package', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('course_id', 'number'),
    )
    with op.batch_alter_table('course_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_version_course_id'), ['course_id'], unique=False)
    op.create_table(
        'translation_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('unit', sa.String(length=200), nullable=False),
        sa.Column('label', sa.String(length=300), nullable=False),
        sa.Column('paths', sa.JSON(), nullable=False),
        sa.Column('hash_ja', sa.String(length=64), nullable=False),
        sa.Column('hash_en', sa.String(length=64), nullable=False),
        sa.Column('synced_ja', sa.String(length=64), nullable=False),
        sa.Column('synced_en', sa.String(length=64), nullable=False),
        sa.Column('stale', sa.String(length=2), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=True),
        sa.Column('archived', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('course_id', 'unit'),
    )
    with op.batch_alter_table('translation_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_translation_state_course_id'), ['course_id'], unique=False)


def downgrade():
    with op.batch_alter_table('translation_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_translation_state_course_id'))
    op.drop_table('translation_state')
    with op.batch_alter_table('course_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_version_course_id'))
    op.drop_table('course_version')
