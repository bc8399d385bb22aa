"""event types become data of their own

Revision ID: 0006
Revises: 0005

Creates `event_type` (code, names in English and Simplified Chinese, the order of the list) and
fills it with the types the dealership catalogue brought until now (written out here, so that
the migration does not change when the catalogue does).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EVENT_TYPES = [
    ("installment_signed", "Installment deal signed", "分期业务签约"),
    ("loan_disbursed", "Loan disbursed", "贷款发放"),
    ("loan_paid_off", "Loan paid off", "客户清户"),
    ("deposit_refund", "Deposit refund requested", "申请退保证金"),
    ("loan_notarised", "Loan notarised", "贷款公证"),
    ("registration_done", "Registration / transfer / mortgage done", "入户、过户、抵押办结"),
    ("vehicle_picked_up", "Vehicle picked up", "提车"),
    ("vehicle_returned", "Vehicle brought back", "提回车"),
    ("ownership_transfer", "Ownership transfer", "过户"),
    ("policy_issued", "Policy issued", "保单出具"),
    ("claim_settled", "Claim settled", "理赔结案"),
    ("repair_shop_settlement", "Repair-shop settlement", "汽修厂结账"),
    ("insurer_settlement", "Insurer settlement", "保险公司结账"),
    ("customer_payment", "Customer payment", "客户付款"),
    ("vehicle_delivered", "Vehicle delivered", "交车"),
    ("deal_settlement", "Deal settlement", "结账"),
    ("employee_hired", "Employee hired", "新员工入职"),
    ("utility_bill", "Utility bill received", "收到费用账单"),
    ("salary_change", "Salary change", "调整工资"),
    ("employee_insured", "Employee insured", "员工参保"),
]


def upgrade():
    table = op.create_table(
        "event_type",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_event_type")),
    )
    op.bulk_insert(
        table,
        [
            {"code": code, "name_en": en, "name_zh": zh, "position": i}
            for i, (code, en, zh) in enumerate(EVENT_TYPES, start=1)
        ],
    )


def downgrade():
    op.drop_table("event_type")
