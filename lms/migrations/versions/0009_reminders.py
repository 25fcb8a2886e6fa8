"""Reminders and digests: per-person muted kinds, the calendar feed's nonce, cohort announcements

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 09:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('muted', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('calendar_nonce', sa.String(length=32), server_default='', nullable=False))

    # Every existing account gets its own calendar nonce (the feed's URL is an HMAC of it).
    connection = op.get_bind()
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('calendar_nonce', sa.String))
    for (user_id,) in connection.execute(sa.select(user.c.id)).all():
        connection.execute(user.update().where(user.c.id == user_id)
                           .values(calendar_nonce=secrets.token_urlsafe(16)))

    op.create_table('announcement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title_ja', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('body_ja', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('body_html_ja', sa.Text(), nullable=False),
    sa.Column('body_html_en', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_announcement_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_announcement_cohort_id_cohort'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement'))
    )
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_cohort_id'), ['cohort_id'], unique=False)


def downgrade():
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_cohort_id'))
    op.drop_table('announcement')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('calendar_nonce')
        batch_op.drop_column('muted')
