"""learned reader: the reader's version on every audit (part of what makes an audit unique), and each finding's
kind and model score

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 08:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_KEY = ['call_pk', 'transcript_pk', 'rule_pack_version', 'scorecard_version']


def upgrade() -> None:
    # 0001 left the audits' unique key unnamed: SQLite reports it without a name (batch mode names it through the
    # convention below), PostgreSQL under a name of its own choosing, read back here.
    existing = next((c['name'] for c in sa.inspect(op.get_bind()).get_unique_constraints('audits')
                     if c['column_names'] == OLD_KEY), None)
    with op.batch_alter_table('audits', naming_convention={'uq': 'uq_%(table_name)s_%(column_0_name)s'}) as batch_op:
        batch_op.add_column(sa.Column('reader_version', sa.String(length=60), nullable=False, server_default=''))
        batch_op.drop_constraint(existing or 'uq_audits_call_pk', type_='unique')
        batch_op.create_unique_constraint('uq_audits_version', OLD_KEY + ['reader_version'])
    with op.batch_alter_table('findings') as batch_op:
        batch_op.add_column(sa.Column('match_kind', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('score', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('findings') as batch_op:
        batch_op.drop_column('score')
        batch_op.drop_column('match_kind')
    with op.batch_alter_table('audits') as batch_op:
        batch_op.drop_constraint('uq_audits_version', type_='unique')
        batch_op.create_unique_constraint(None, OLD_KEY)
        batch_op.drop_column('reader_version')
