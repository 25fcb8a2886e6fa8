"""Certificates: replaced_at and the in-force index for databases migrated with the first 0004

Revision 0004 was changed after it had been applied (commit 0d955d3 added ``certificate.replaced_at`` and
narrowed ``uq_certificate_in_force`` to certificates neither revoked nor replaced). A database already at the
first 0004 never ran the new text, so it lacks the column and keeps the old index. This revision brings such a
database to the schema of 0004 as it stands now; on any other database it only rebuilds the index unchanged.

Downgrade: nothing to undo. The schema at 0005 (0004 as it stands now) already has the column and this index, and
the code of that time uses them; removing them would leave a database that matches no revision.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

IN_FORCE = "revoked_at IS NULL AND replaced_at IS NULL"


def upgrade():
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns('certificate')}
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        if 'replaced_at' not in columns:
            batch_op.add_column(sa.Column('replaced_at', sa.DateTime(), nullable=True))
        # Existing rows satisfy the new condition: it allows everything the old one ('revoked_at IS NULL') did.
        batch_op.drop_index('uq_certificate_in_force')
        batch_op.create_index('uq_certificate_in_force', ['user_id', 'course_id'], unique=True,
                              sqlite_where=sa.text(IN_FORCE), postgresql_where=sa.text(IN_FORCE))


def downgrade():
    pass
