"""advisers, rosters and appointments

Revision ID: 4bb887a23f38
Revises: 043b184da513
Create Date: 2026-11-26 16:54:43.955018

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4bb887a23f38'
down_revision = '043b184da513'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('closed_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hall_id', 'day')
    )
    with op.batch_alter_table('closed_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closed_day_hall_id'), ['hall_id'], unique=False)

    op.create_table('adviser',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.Enum('people_mediator', 'legal_counsel', 'lawyer', 'legal_literate', 'counsellor', 'grid_worker', name='adviser_kind', native_enum=False, length=20), nullable=False),
    sa.Column('specialties', sa.String(length=300), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=True),
    sa.Column('intro', sa.Text(), nullable=False),
    sa.Column('photo', sa.LargeBinary(), nullable=True),
    sa.Column('photo_type', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], ),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )
    with op.batch_alter_table('adviser', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adviser_hall_id'), ['hall_id'], unique=False)

    op.create_table('adviser_service',
    sa.Column('adviser_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['adviser_id'], ['adviser.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('adviser_id', 'service_id')
    )
    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('adviser_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('booked', 'checked_in', 'called', 'done', 'no_show', 'cancelled', name='appointment_status', native_enum=False, length=20), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('short_code', sa.String(length=6), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('request_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('booked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint('seat IS NULL OR seat >= 1', name='ck_appointment_seat'),
    sa.ForeignKeyConstraint(['adviser_id'], ['adviser.id'], ),
    sa.ForeignKeyConstraint(['booked_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], ),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('adviser_id', 'starts_at', 'seat', name='uq_appointment_seat'),
    sa.UniqueConstraint('hall_id', 'request_key'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_adviser_id'), ['adviser_id'], unique=False)
        batch_op.create_index('ix_appointment_day', ['hall_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_appointment_phone', ['hall_id', 'phone'], unique=False)

    op.create_table('shift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('adviser_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.Time(), nullable=False),
    sa.Column('ends_at', sa.Time(), nullable=False),
    sa.Column('every_weeks', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('counter_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('every_weeks IN (1, 2)', name='ck_shift_every'),
    sa.CheckConstraint('starts_at < ends_at', name='ck_shift_range'),
    sa.CheckConstraint('weekday BETWEEN 1 AND 7', name='ck_shift_weekday'),
    sa.ForeignKeyConstraint(['adviser_id'], ['adviser.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('shift', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_adviser_id'), ['adviser_id'], unique=False)

    op.create_table('shift_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('adviser_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('leave', 'extra', name='exception_kind', native_enum=False, length=20), nullable=False),
    sa.Column('starts_at', sa.Time(), nullable=True),
    sa.Column('ends_at', sa.Time(), nullable=True),
    sa.Column('counter_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.CheckConstraint('(starts_at IS NULL AND ends_at IS NULL) OR (starts_at < ends_at)', name='ck_shift_exception_range'),
    sa.ForeignKeyConstraint(['adviser_id'], ['adviser.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('shift_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_exception_adviser_id'), ['adviser_id'], unique=False)

    with op.batch_alter_table('hall', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_notice_minutes', sa.Integer(), server_default='60', nullable=False))
        batch_op.add_column(sa.Column('booking_days_ahead', sa.Integer(), server_default='14', nullable=False))
        batch_op.add_column(sa.Column('checkin_early_minutes', sa.Integer(), server_default='10', nullable=False))
        batch_op.add_column(sa.Column('checkin_grace_minutes', sa.Integer(), server_default='15', nullable=False))

    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bookable', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('slot_minutes', sa.Integer(), server_default='30', nullable=False))
        batch_op.add_column(sa.Column('slot_capacity', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.DateTime(), nullable=True))




def downgrade():

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('due_at')

    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_column('slot_capacity')
        batch_op.drop_column('slot_minutes')
        batch_op.drop_column('bookable')

    with op.batch_alter_table('hall', schema=None) as batch_op:
        batch_op.drop_column('checkin_grace_minutes')
        batch_op.drop_column('checkin_early_minutes')
        batch_op.drop_column('booking_days_ahead')
        batch_op.drop_column('booking_notice_minutes')

    with op.batch_alter_table('shift_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_exception_adviser_id'))

    op.drop_table('shift_exception')
    with op.batch_alter_table('shift', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_adviser_id'))

    op.drop_table('shift')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_phone')
        batch_op.drop_index('ix_appointment_day')
        batch_op.drop_index(batch_op.f('ix_appointment_adviser_id'))

    op.drop_table('appointment')
    op.drop_table('adviser_service')
    with op.batch_alter_table('adviser', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adviser_hall_id'))

    op.drop_table('adviser')
    with op.batch_alter_table('closed_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closed_day_hall_id'))

    op.drop_table('closed_day')

