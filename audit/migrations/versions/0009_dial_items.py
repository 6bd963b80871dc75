"""dial items: contact-frequency violations as reviewable call-level items (their rule, severity and identity), and
a log of every 抽检 run for the schedule the app shows

Revision ID: 0009_dial_items
Revises: 0008_reviewer_findings
Create Date: 2026-12-14 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009_dial_items'
down_revision: Union[str, Sequence[str], None] = '0008_reviewer_findings'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('call_items') as batch_op:
        batch_op.add_column(sa.Column('rule_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('severity', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('item_key', sa.String(length=300), nullable=True))
        batch_op.create_index(batch_op.f('ix_call_items_item_key'), ['item_key'], unique=False)
    op.create_table('sample_runs',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('plan', sa.String(length=100), nullable=False),
                    sa.Column('plan_version', sa.String(length=40), nullable=False),
                    sa.Column('since', sa.String(length=10), nullable=True),
                    sa.Column('until', sa.String(length=10), nullable=True),
                    sa.Column('draw_pk', sa.Integer(), nullable=True),
                    sa.Column('new_draw', sa.Boolean(), nullable=False),
                    sa.Column('calls', sa.Integer(), nullable=False),
                    sa.Column('ran_by', sa.String(length=200), nullable=False),
                    sa.Column('ran_at', sa.String(length=40), nullable=False),
                    sa.Column('problem', sa.Text(), nullable=True),
                    sa.ForeignKeyConstraint(['draw_pk'], ['sample_draws.id']),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('sample_runs') as batch_op:
        batch_op.create_index(batch_op.f('ix_sample_runs_ran_at'), ['ran_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sample_runs') as batch_op:
        batch_op.drop_index(batch_op.f('ix_sample_runs_ran_at'))
    op.drop_table('sample_runs')
    if op.get_bind().execute(sa.text("SELECT count(*) FROM call_items WHERE kind = 'contact_frequency'")).scalar():
        raise RuntimeError("cannot downgrade below 0009: contact-frequency items would lose their rule and identity")
    with op.batch_alter_table('call_items') as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_items_item_key'))
        batch_op.drop_column('item_key')
        batch_op.drop_column('severity')
        batch_op.drop_column('rule_id')
