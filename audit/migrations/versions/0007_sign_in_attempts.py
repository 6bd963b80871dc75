"""sign-in attempts: every try at the app's sign-in form, so repeated failures make the next try wait

Revision ID: 0007_sign_in_attempts
Revises: 0006_qa_loop
Create Date: 2026-12-10 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007_sign_in_attempts'
down_revision: Union[str, Sequence[str], None] = '0006_qa_loop'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('sign_in_attempts',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('username', sa.String(length=100), nullable=False),
                    sa.Column('created_at', sa.String(length=40), nullable=False),
                    sa.Column('succeeded', sa.Boolean(), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('sign_in_attempts') as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_attempts_username'), ['username'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_in_attempts') as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_attempts_username'))
    op.drop_table('sign_in_attempts')
