"""Reviewer-added findings: each finding's source (the machine, or a reviewer who marked what it missed)

Revision ID: 0008_reviewer_findings
Revises: 0007_sign_in_attempts
Create Date: 2026-12-12 08:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0008_reviewer_findings'
down_revision: Union[str, Sequence[str], None] = '0007_sign_in_attempts'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('findings') as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=False, server_default='machine'))


def downgrade() -> None:
    with op.batch_alter_table('findings') as batch_op:
        batch_op.drop_column('source')
