"""reviewable items: call-level items (call time, review reasons) judged like findings, each finding's review state,
each audit's result after review, and calls dated by when they were stored when no start time was given

Revision ID: 0005_reviewable_items
Revises: 0004
Create Date: 2026-12-10 09:00:00

"""
import json
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005_reviewable_items'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# the tables as this revision leaves them (not the models, which later revisions may change)
calls = sa.table('calls', sa.column('started_at', sa.String), sa.column('created_at', sa.String),
                 sa.column('undated', sa.Boolean))
audits = sa.table('audits', sa.column('id', sa.Integer), sa.column('body', sa.Text),
                  sa.column('scorecard', sa.String), sa.column('reviewed_verdict', sa.String),
                  sa.column('reviewed_score', sa.Float), sa.column('reviewed_critical', sa.Boolean),
                  sa.column('reviewed_worst', sa.Integer), sa.column('open_items', sa.Integer))
findings = sa.table('findings', *(sa.column(name) for name in (
    'id', 'audit_pk', 'rule_id', 'category', 'severity', 'turn', 'speaker', 'quote', 'pinyin_match', 'needs_review',
    'match_kind', 'review_status', 'review_verdict', 'review_severity')))
items = sa.table('call_items', sa.column('audit_pk', sa.Integer), sa.column('kind', sa.String),
                 sa.column('text', sa.Text))
reviews = sa.table('reviews', sa.column('id', sa.Integer), sa.column('finding_pk', sa.Integer),
                   sa.column('verdict', sa.String), sa.column('new_severity', sa.String))


def upgrade() -> None:
    op.create_table('call_items',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('audit_pk', sa.Integer(), nullable=False),
                    sa.Column('kind', sa.String(length=20), nullable=False),
                    sa.Column('text', sa.Text(), nullable=False),
                    sa.Column('review_status', sa.String(length=20), server_default='unreviewed', nullable=False),
                    sa.Column('review_verdict', sa.String(length=20), nullable=True),
                    sa.ForeignKeyConstraint(['audit_pk'], ['audits.id']),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('call_items') as batch_op:
        batch_op.create_index(batch_op.f('ix_call_items_audit_pk'), ['audit_pk'], unique=False)
    with op.batch_alter_table('reviews', naming_convention={'fk': 'fk_%(table_name)s_%(column_0_name)s'}) as batch_op:
        batch_op.alter_column('finding_pk', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('item_pk', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_reviews_item_pk', 'call_items', ['item_pk'], ['id'])
        batch_op.create_index(batch_op.f('ix_reviews_item_pk'), ['item_pk'], unique=False)
    with op.batch_alter_table('findings') as batch_op:
        batch_op.add_column(sa.Column('review_status', sa.String(length=20), server_default='unreviewed',
                                      nullable=False))
        batch_op.add_column(sa.Column('review_verdict', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('review_severity', sa.String(length=16), nullable=True))
    with op.batch_alter_table('audits') as batch_op:
        batch_op.add_column(sa.Column('reviewed_verdict', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('reviewed_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_critical', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_worst', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('open_items', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_audits_reviewed_verdict'), ['reviewed_verdict'], unique=False)
    with op.batch_alter_table('calls') as batch_op:
        batch_op.add_column(sa.Column('undated', sa.Boolean(), server_default='0', nullable=False))
    op.execute(calls.update().where(calls.c.started_at.is_(None))
               .values(started_at=calls.c.created_at, undated=True))
    _backfill(op.get_bind())


def _backfill(connection) -> None:
    """Every audit's call-level items and result after review, by the review policy of this release."""
    from audit import review_policy
    from audit.storage.results import scorecard_named

    trails: dict[int, list[tuple[str, str | None]]] = {}
    for finding_pk, verdict, new_severity in connection.execute(
            sa.select(reviews.c.finding_pk, reviews.c.verdict, reviews.c.new_severity).order_by(reviews.c.id)):
        trails.setdefault(finding_pk, []).append((verdict, new_severity))
    reviewed_audits = {row.audit_pk for row in connection.execute(
        sa.select(findings.c.audit_pk).where(findings.c.id.in_(list(trails))).distinct())} if trails else set()
    results, new_items, finding_states = [], [], []
    for audit_id, body, scorecard in connection.execute(sa.select(audits.c.id, audits.c.body, audits.c.scorecard)):
        line = json.loads(body) if body else {}
        call_items = [{'kind': i.kind, 'text': i.text, 'review_status': 'unreviewed', 'review_verdict': None}
                      for i in review_policy.call_items(line)]
        new_items += [{'audit_pk': audit_id, 'kind': i['kind'], 'text': i['text']} for i in call_items]
        if audit_id in reviewed_audits:
            rows = [dict(r._mapping) for r in connection.execute(
                sa.select(findings).where(findings.c.audit_pk == audit_id).order_by(findings.c.id))]
            for row in rows:
                state = review_policy.review_state(trails.get(row['id'], ()))
                row.update(state.columns(), finding_id=row['id'])
                finding_states.append({'fid': row['id'], **state.columns()})
        else:
            rows = list(line.get('findings') or ())
        result = review_policy.call_result(line, rows, call_items, scorecard_named(scorecard))
        results.append({'aid': audit_id, 'reviewed_verdict': result.verdict, 'reviewed_score': result.score,
                        'reviewed_critical': result.critical, 'reviewed_worst': result.worst,
                        'open_items': result.open_items})
    if new_items:
        connection.execute(items.insert(), new_items)
    if results:
        connection.execute(audits.update().where(audits.c.id == sa.bindparam('aid'))
                           .values({k: sa.bindparam(k) for k in results[0] if k != 'aid'}), results)
    if finding_states:
        connection.execute(findings.update().where(findings.c.id == sa.bindparam('fid'))
                           .values({k: sa.bindparam(k) for k in finding_states[0] if k != 'fid'}), finding_states)


def downgrade() -> None:
    with op.batch_alter_table('calls') as batch_op:
        batch_op.drop_column('undated')
    with op.batch_alter_table('audits') as batch_op:
        batch_op.drop_index(batch_op.f('ix_audits_reviewed_verdict'))
        for column in ('open_items', 'reviewed_worst', 'reviewed_critical', 'reviewed_score', 'reviewed_verdict'):
            batch_op.drop_column(column)
    with op.batch_alter_table('findings') as batch_op:
        for column in ('review_severity', 'review_verdict', 'review_status'):
            batch_op.drop_column(column)
    if op.get_bind().execute(sa.text("SELECT count(*) FROM reviews WHERE item_pk IS NOT NULL")).scalar():
        raise RuntimeError("cannot downgrade below 0005: reviews of call-level items would have to be deleted, "
                           "which breaks the hash-chained trail")
    with op.batch_alter_table('reviews', naming_convention={'fk': 'fk_%(table_name)s_%(column_0_name)s'}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_item_pk'))
        batch_op.drop_constraint('fk_reviews_item_pk', type_='foreignkey')
        batch_op.drop_column('item_pk')
        batch_op.alter_column('finding_pk', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('call_items') as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_items_audit_pk'))
    op.drop_table('call_items')
