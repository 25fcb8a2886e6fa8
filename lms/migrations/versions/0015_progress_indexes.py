"""Indexes on (user_id, course_id) for lesson completions, submissions, quiz results and certificates: a trainee's own progress in a
course is read on every course page, lesson and dashboard, and the single-column indexes made the planner walk
every row of the course

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 08:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_lesson_completion_user_course', 'lesson_completion', ['user_id', 'course_id'])
    op.create_index('ix_submission_user_course', 'submission', ['user_id', 'course_id'])
    op.create_index('ix_quiz_result_user_course', 'quiz_result', ['user_id', 'course_id'])
    op.create_index('ix_certificate_user_course', 'certificate', ['user_id', 'course_id'])


def downgrade():
    op.drop_index('ix_certificate_user_course', table_name='certificate')
    op.drop_index('ix_quiz_result_user_course', table_name='quiz_result')
    op.drop_index('ix_submission_user_course', table_name='submission')
    op.drop_index('ix_lesson_completion_user_course', table_name='lesson_completion')
