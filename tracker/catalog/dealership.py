"""The default catalogue `dealership`: the finance department's own list of 34 items.

Read from `dealership.csv` beside this file (the finance list, kept in the repository) and
turned into deadline rules as the product issue says. Titles are the finance list's words;
the English is its gloss.
"""

from datetime import time

# The event types this catalogue's commitments are triggered by, with their names (English,
# Simplified Chinese): `load_catalog` adds those missing to the `event_type` table, which the
# ledger, its forms and the administration read (tracker.ledger.service.event_types).
EVENT_TYPES: dict[str, tuple[str, str]] = {
    "installment_signed": ("Installment deal signed", "分期业务签约"),
    "loan_disbursed": ("Loan disbursed", "贷款发放"),
    "loan_paid_off": ("Loan paid off", "客户清户"),
    "deposit_refund": ("Deposit refund requested", "申请退保证金"),
    "loan_notarised": ("Loan notarised", "贷款公证"),
    "registration_done": ("Registration / transfer / mortgage done", "入户、过户、抵押办结"),
    "vehicle_picked_up": ("Vehicle picked up", "提车"),
    "vehicle_returned": ("Vehicle brought back", "提回车"),
    "ownership_transfer": ("Ownership transfer", "过户"),
    "policy_issued": ("Policy issued", "保单出具"),
    "claim_settled": ("Claim settled", "理赔结案"),
    "repair_shop_settlement": ("Repair-shop settlement", "汽修厂结账"),
    "insurer_settlement": ("Insurer settlement", "保险公司结账"),
    "customer_payment": ("Customer payment", "客户付款"),
    "vehicle_delivered": ("Vehicle delivered", "交车"),
    "deal_settlement": ("Deal settlement", "结账"),
    "employee_hired": ("Employee hired", "新员工入职"),
    "utility_bill": ("Utility bill received", "收到费用账单"),
    "salary_change": ("Salary change", "调整工资"),
    "employee_insured": ("Employee insured", "员工参保"),
}

DEPARTMENTS: dict[str, tuple[str, str]] = {
    "finance": ("Finance", "财务部"),
    "sales": ("Sales", "销售部"),
    "insurance": ("Insurance", "保险部"),
    "loans": ("Consumer Loans", "消贷部"),
    "service": ("Customer Service", "客服部"),
    "hr": ("Human Resources", "人事部"),
}

# Deadline rules, by how the finance list writes them.
PROMPTLY = {"offset_days": 2, "day_type": "working"}  # 及时 / no figure: admin may change it
MONTHLY_5TH = {"frequency": "monthly", "day": 5, "non_working": "next", "period_back": 1}
REQUEST = {"offset_days": 1, "day_type": "working"}  # default response: end of next working day
AT_THE_EVENT = {"offset_days": 0}  # checklist points, checked at the event itself

REFERENCE = ["reference"]
WITH_AMOUNT = ["reference", "amount"]
WITH_FILE = ["reference", "file"]


def _c(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}


# (code, provider, kind, event type, rule, evidence, checklist)
ITEMS: list[dict] = [
    # Consumer Loans -> Finance
    dict(
        code="loans-1",
        kind="event",
        event_type="installment_signed",
        rule=PROMPTLY,
        evidence=REFERENCE,
        checklist=[_c("客户档案已录入系统", "Customer file entered in the system")],
    ),
    dict(
        code="loans-2",
        kind="event",
        event_type="loan_disbursed",
        rule=PROMPTLY,
        evidence=WITH_AMOUNT,
        checklist=[
            _c("银行卡", "Bank card"),
            _c("存折", "Passbook"),
            _c("放贷信息", "Disbursement details"),
        ],
    ),
    dict(
        code="loans-3",
        kind="request",
        rule=REQUEST,
        evidence=REFERENCE,
        checklist=[_c("客户档案已核对", "Customer file checked")],
    ),
    dict(
        code="loans-4",
        kind="event",
        event_type="loan_paid_off",
        rule=PROMPTLY,
        evidence=WITH_FILE,
        checklist=[_c("银行还款凭证已打印", "Bank repayment voucher printed")],
    ),
    dict(
        code="loans-5",
        kind="event",
        event_type="deposit_refund",
        rule=PROMPTLY,
        evidence=REFERENCE,
        checklist=[_c("过户手续完整", "Transfer paperwork complete")],
    ),
    dict(code="loans-6", kind="request", rule=REQUEST, evidence=["note"], checklist=[]),
    dict(
        code="loans-7",
        kind="event",
        event_type="loan_notarised",
        rule=PROMPTLY,
        evidence=WITH_AMOUNT,
        checklist=[_c("公证费金额", "Notarisation fee amount")],
    ),
    dict(
        code="loans-8",
        kind="recurring",
        rule=MONTHLY_5TH,
        evidence=WITH_FILE,
        checklist=[_c("欠款报表完整", "Arrears report complete")],
    ),
    dict(
        code="loans-9",
        kind="recurring",
        rule=MONTHLY_5TH,
        evidence=WITH_FILE,
        checklist=[_c("办结日期齐全", "All completion dates given")],
    ),
    dict(
        code="loans-10",
        kind="request",
        rule=REQUEST,
        evidence=REFERENCE,
        checklist=[_c("汇款客户信息已核对", "Remittance customer details reconciled")],
    ),
    # Customer Service -> Finance
    dict(
        code="service-1",
        kind="event",
        event_type="registration_done",
        rule={"offset_days": 7, "non_working": "next"},
        evidence=WITH_AMOUNT,
        checklist=[_c("费用票据齐全", "All fee receipts attached")],
    ),
    dict(
        code="service-2",
        kind="event",
        event_type="vehicle_picked_up",
        rule={"offset_days": 1, "day_type": "working"},
        evidence=WITH_AMOUNT,
        checklist=[_c("刷卡单", "Card-payment slip"), _c("金额一致", "Amount matches the deal")],
    ),
    dict(
        code="service-3",
        kind="event",
        event_type="vehicle_returned",
        rule={"offset_days": 0},
        evidence=REFERENCE,
        checklist=[
            _c("车辆已入库", "Vehicle checked in"),
            _c("车辆手续已入库", "Vehicle documents checked in"),
        ],
    ),
    dict(code="service-4", kind="request", rule=REQUEST, evidence=["note"], checklist=[]),
    # Insurance -> Finance
    dict(
        code="insurance-1",
        kind="event",
        event_type="ownership_transfer",
        rule=PROMPTLY,
        evidence=REFERENCE,
        checklist=[_c("已核实保费欠缴情况", "Premium arrears verified")],
    ),
    dict(
        code="insurance-2",
        kind="event",
        event_type="policy_issued",
        rule=PROMPTLY,
        evidence=REFERENCE,
        checklist=[_c("续保日期准确", "Renewal date accurate")],
    ),
    dict(
        code="insurance-3",
        kind="event",
        event_type="claim_settled",
        rule=PROMPTLY,
        evidence=WITH_AMOUNT,
        checklist=[_c("理赔金额准确", "Claim amount exact")],
    ),
    dict(
        code="insurance-4",
        kind="event",
        event_type="repair_shop_settlement",
        rule=PROMPTLY,
        evidence=WITH_FILE,
        checklist=[_c("结算单信息完整", "Settlement statement complete")],
    ),
    dict(
        code="insurance-5",
        kind="event",
        event_type="insurer_settlement",
        rule=PROMPTLY,
        evidence=WITH_FILE,
        checklist=[_c("结算单信息完整", "Settlement statement complete")],
    ),
    dict(
        code="insurance-6",
        kind="recurring",
        rule=MONTHLY_5TH,
        evidence=WITH_FILE,
        checklist=[_c("欠款报表完整", "Arrears report complete")],
    ),
    dict(code="insurance-7", kind="request", rule=REQUEST, evidence=["note"], checklist=[]),
    # Sales -> Finance
    dict(
        code="sales-1",
        kind="event",
        event_type="customer_payment",
        rule=PROMPTLY,
        evidence=WITH_AMOUNT,
        checklist=[_c("打款单内容完整", "Payment slip complete")],
    ),
    dict(
        code="sales-2",
        kind="event",
        event_type="vehicle_delivered",
        rule=PROMPTLY,
        evidence=WITH_FILE,
        checklist=[
            _c("订车单经客户本人签字", "Order form signed by the customer"),
            _c("交车单经客户本人签字", "Delivery form signed by the customer"),
        ],
    ),
    dict(
        code="sales-3",
        kind="checklist",
        event_type="deal_settlement",
        rule=AT_THE_EVENT,
        evidence=[],
        checklist=[_c("客户带来首付款条", "Customer brought the down-payment receipt")],
    ),
    dict(
        code="sales-4",
        kind="checklist",
        event_type="deal_settlement",
        rule=AT_THE_EVENT,
        evidence=[],
        checklist=[_c("档案完整", "Deal file complete")],
    ),
    dict(
        code="sales-5",
        kind="event",
        event_type="installment_signed",
        rule=PROMPTLY,
        evidence=WITH_FILE,
        checklist=[
            _c("核算单", "Calculation sheet"),
            _c("欠条经客户本人签字", "IOU signed by the customer"),
            _c("协议经客户本人签字", "Agreement signed by the customer"),
        ],
    ),
    dict(
        code="sales-6",
        kind="checklist",
        event_type="vehicle_delivered",
        rule=AT_THE_EVENT,
        trigger_after=time(17, 0),
        evidence=[],
        checklist=[_c("现金已提前交款或交车时刷卡", "Cash paid in advance or swiped at delivery")],
    ),
    dict(
        code="sales-7",
        kind="event",
        event_type="vehicle_delivered",
        rule={"offset_days": 3, "day_type": "working"},
        evidence=WITH_FILE,
        checklist=[
            _c("装饰单", "Accessories slip"),
            _c("附订车单、交车单", "Order and delivery forms brought"),
        ],
    ),
    dict(
        code="sales-8",
        kind="recurring",
        rule={
            "frequency": "monthly",
            "day": 1,
            "at_time": time(12, 0),
            "non_working": "next",
            "period_back": 1,
        },
        evidence=WITH_AMOUNT,
        checklist=[
            _c("上月业务单齐全", "All of last month's deal slips"),
            _c("上月业务费用已全部报销", "All of last month's expenses claimed"),
        ],
    ),
    # Human Resources -> Finance
    dict(
        code="hr-1",
        kind="event",
        event_type="employee_hired",
        rule=PROMPTLY,
        evidence=REFERENCE,
        checklist=[
            _c("已通知交职工保证金", "Told to pay the staff deposit"),
            _c("职工档案已建立", "Staff file set up"),
            _c("工龄已计算", "Seniority computed"),
        ],
    ),
    dict(
        code="hr-2",
        kind="event",
        event_type="utility_bill",
        rule=PROMPTLY,
        evidence=WITH_AMOUNT,
        checklist=[_c("票据齐全", "Bills attached")],
    ),
    dict(code="hr-3", kind="request", rule=REQUEST, evidence=["note"], checklist=[]),
    dict(
        code="hr-4",
        kind="event",
        event_type="salary_change",
        rule=PROMPTLY,
        evidence=REFERENCE,
        checklist=[_c("调资依据", "Basis of the adjustment")],
    ),
    dict(
        code="hr-5",
        kind="event",
        event_type="employee_insured",
        rule=PROMPTLY,
        evidence=REFERENCE,
        checklist=[_c("参保时间", "Enrolment date")],
    ),
]
