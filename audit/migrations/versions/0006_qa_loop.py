"""QA loop: 抽检 draws, sampled calls and their whole-call verdicts, QA settings, dial logs and contact-frequency
violations; each call's debtor

Revision ID: 0006_qa_loop
Revises: 0005_reviewable_items
Create Date: 2026-12-10 08:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006_qa_loop'
down_revision: Union[str, Sequence[str], None] = '0005_reviewable_items'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('calls') as batch_op:
        batch_op.add_column(sa.Column('debtor_id', sa.String(length=100), nullable=True))
        batch_op.create_index('ix_calls_debtor_id', ['debtor_id'], unique=False)
    op.create_table(
        'sample_draws',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan', sa.String(length=100), nullable=False),
        sa.Column('plan_version', sa.String(length=40), nullable=False),
        sa.Column('seed', sa.String(length=64), nullable=False),
        sa.Column('since', sa.String(length=10), nullable=False),
        sa.Column('until', sa.String(length=10), nullable=False),
        sa.Column('pool', sa.Integer(), nullable=False),
        sa.Column('calls', sa.Integer(), nullable=False),
        sa.Column('drawn_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_table(
        'samples',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draw_pk', sa.Integer(), nullable=False),
        sa.Column('call_pk', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('stratum', sa.String(length=120), nullable=False),
        sa.Column('flagged', sa.Boolean(), nullable=False),
        sa.Column('weight', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['call_pk'], ['calls.id']),
        sa.ForeignKeyConstraint(['draw_pk'], ['sample_draws.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('draw_pk', 'call_pk'))
    op.create_index('ix_samples_call_pk', 'samples', ['call_pk'], unique=False)
    op.create_index('ix_samples_draw_pk', 'samples', ['draw_pk'], unique=False)
    op.create_table(
        'sample_verdicts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_pk', sa.Integer(), nullable=False),
        sa.Column('reviewer', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.String(length=40), nullable=False),
        sa.Column('verdict', sa.String(length=16), nullable=False),
        sa.Column('missed', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('row_hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['call_pk'], ['calls.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('row_hash'))
    op.create_index('ix_sample_verdicts_call_pk', 'sample_verdicts', ['call_pk'], unique=False)
    op.create_table(
        'qa_settings',
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('set_by', sa.String(length=200), nullable=False),
        sa.Column('set_at', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('key'))
    op.create_table(
        'dials',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('debtor_id', sa.String(length=100), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('dialed_at', sa.String(length=40), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('answered', sa.Boolean(), nullable=False),
        sa.Column('agent_id', sa.String(length=100), nullable=True),
        sa.Column('call_id', sa.String(length=200), nullable=True),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('imported_at', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('debtor_id', 'number', 'dialed_at', name='uq_dials_attempt'))
    op.create_index('ix_dials_debtor_id', 'dials', ['debtor_id'], unique=False)
    op.create_index('ix_dials_call_id', 'dials', ['call_id'], unique=False)
    op.create_table(
        'contact_violations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.String(length=40), nullable=False),
        sa.Column('debtor_id', sa.String(length=100), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=True),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('window_days', sa.Integer(), nullable=False),
        sa.Column('max_contacts', sa.Integer(), nullable=False),
        sa.Column('counted', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.String(length=200), nullable=True),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('basis', sa.Text(), nullable=False),
        sa.Column('explanation', sa.Text(), nullable=False),
        sa.Column('created_at', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_contact_violations_debtor_id', 'contact_violations', ['debtor_id'], unique=False)
    op.create_index('ix_contact_violations_day', 'contact_violations', ['day'], unique=False)
    op.create_index('ix_contact_violations_call_id', 'contact_violations', ['call_id'], unique=False)


def downgrade() -> None:
    for table in ('contact_violations', 'dials', 'qa_settings', 'sample_verdicts', 'samples', 'sample_draws'):
        op.drop_table(table)
    with op.batch_alter_table('calls') as batch_op:
        batch_op.drop_index('ix_calls_debtor_id')
        batch_op.drop_column('debtor_id')
