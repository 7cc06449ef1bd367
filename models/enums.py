"""The closed vocabularies of the interchange contract (spec §1, §2, §4)."""

from enum import StrEnum


class EnterpriseStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class RelationKind(StrEnum):
    LEGAL_REP = "legal_rep"
    SHAREHOLDER = "shareholder"
    ADDRESS = "address"
    BRANCH = "branch"


class CreditEventKind(StrEnum):
    PENALTY = "penalty"  # 行政处罚
    ABNORMAL_LIST = "abnormal_list"  # 经营异常名录
    SERIOUS_DISHONEST = "serious_dishonest"  # 严重违法失信名单
    COURT_DISHONEST = "court_dishonest"  # 失信被执行人
    TAX_GRADE_A = "tax_grade_a"
    TAX_GRADE_D = "tax_grade_d"
    SOCIAL_INSURANCE_ARREARS = "social_insurance_arrears"
    COMMITMENT_BREACH = "commitment_breach"  # 告知承诺失信
    COMMENDATION = "commendation"


class ItemMode(StrEnum):
    ONSITE = "onsite"
    OFFSITE = "offsite"
    EITHER = "either"


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class DemandSource(StrEnum):
    PLAN = "plan"  # 部门计划
    KEY = "key"  # 重点监管
    LICENSE = "license"  # 许可核查
    RANDOM = "random"  # 双随机 draw (never in demands.csv; made by sampling)
    COMPLAINT = "complaint"  # 投诉举报 / 12345
    ALERT = "alert"  # 非现场预警
    ACCIDENT = "accident"
    REFERRAL = "referral"  # 移送
    FOLLOWUP = "followup"  # 非现场发现问题后的现场核查

    @property
    def triggered(self) -> bool:
        """Spec §2: a triggered source makes its visit a triggered visit (uncapped)."""
        return self in TRIGGERED_SOURCES

    @property
    def never_dropped(self) -> bool:
        """Spec §5 rule 8: these must be placed or planning fails."""
        return self in NEVER_DROPPED_SOURCES


TRIGGERED_SOURCES = frozenset(
    {
        DemandSource.COMPLAINT,
        DemandSource.ALERT,
        DemandSource.ACCIDENT,
        DemandSource.REFERRAL,
        DemandSource.FOLLOWUP,
    }
)
NEVER_DROPPED_SOURCES = frozenset(
    {DemandSource.COMPLAINT, DemandSource.ACCIDENT, DemandSource.REFERRAL}
)
#: Sources a row of demands.csv may carry (``random`` is made by the draw only).
CSV_DEMAND_SOURCES = frozenset(DemandSource) - {DemandSource.RANDOM}


class TriggerKind(StrEnum):
    COMPLAINT = "complaint"
    ALERT = "alert"
    ACCIDENT = "accident"
    REFERRAL = "referral"


class InspectionResult(StrEnum):
    COMPLIANT = "compliant"
    MINOR = "minor"  # 轻微不罚
    VIOLATION = "violation"
    NOT_DONE = "not_done"  # outcomes only


class RevisionStatus(StrEnum):
    DRAFT = "draft"
    FILED = "filed"
    SUPERSEDED = "superseded"


class UnscheduledReason(StrEnum):
    NO_DISTURB_ENTERPRISE = "no_disturb_enterprise"
    NO_DISTURB_ITEM = "no_disturb_item"
    VISIT_CAP = "visit_cap"
    CAPACITY = "capacity"
    WINDOW = "window"
    NO_ELIGIBLE_INSPECTOR = "no_eligible_inspector"
    INFEASIBLE = "infeasible"


class CodeStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
