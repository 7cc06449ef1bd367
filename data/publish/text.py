"""The Chinese words of a disclosure, and the steps that redo the draw, in one place so
that the page and the CSV files say the same."""

import datetime as dt
import shlex

from jointinspect.data.publish.content import Disclosure, DrawSource
from jointinspect.models.quarter import Quarter

ITEM_MODE = {"onsite": "现场检查", "offsite": "非现场检查", "either": "现场或非现场"}
CHECK_MODE = {"onsite": "现场", "offsite": "非现场"}
RESULT = {
    "compliant": "未发现问题",
    "minor": "发现轻微问题，依法不予处罚",
    "violation": "发现违法违规问题，依法处理",
    "not_done": "未实施检查",
}
RESULT_ORDER = ("compliant", "minor", "violation", "not_done")
QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}
#: The file ``publish`` writes beside the page for redoing the draw.
REDO_SCRIPT = "redo_draw.py"

DRAW_SOURCE_NOTE = {
    DrawSource.RECORDED: "各等级的对象总数与抽取数为抽取时的记录。",
    DrawSource.REDONE: (
        "各等级的对象总数与抽取数已按下列方法用本区现有数据重新计算，抽中的企业与备案计划完全一致。"
    ),
    DrawSource.UNAVAILABLE: (
        "抽取后企业信用风险分类或抽查比例已有更新，各等级的对象总数与抽取数无法用现有数据"
        "重现，此处只列各事项的抽取总数，抽查比例为现行比例；复核须使用抽取时的分类结果。"
    ),
}
PRIVACY_NOTE = (
    "本公示不含检查人员信息、检查码、投诉举报及预警信息，也不含任何企业的信用风险评分或分类结果。"
    "因投诉举报、预警、许可核查等其他原因开展的检查不在本公示之列。"
)


def quarter_words(quarter: str) -> str:
    """``2025Q4`` → ``2025年第四季度``."""
    year, number = quarter.split("Q")
    return f"{year}年第{QUARTER_NAMES[int(number)]}季度"


def title(disclosure: Disclosure) -> str:
    words = quarter_words(disclosure.quarter)
    if disclosure.special is not None:
        return f"{words}专项检查计划公示"
    return f"{words}“双随机”抽查计划公示"


def date_words(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def redo_steps(disclosure: Disclosure) -> list[str]:
    """The steps that redo the draw, in words (the page shows them as a list)."""
    return [
        "取得抽取所用的数据：企业名录（enterprises.csv）、检查事项（items.csv）、"
        "抽查比例（sampling_rules.csv）、无感监管名单（no_disturb.csv），"
        "以及抽取时各企业的信用风险分类（grades.csv，含 uscc 与 grade 两列）。"
        "分类结果不公开，由区执法协调部门向审计、监督机构提供。",
        "对每条抽查规则（部门、检查事项、等级、比例）确定抽查对象总体 N："
        "该等级、状态为在业（active）、所属行业适用该检查事项的全部企业；"
        f"现场检查事项再剔除季度首日（{Quarter.parse(disclosure.quarter).first_day.isoformat()}）"
        "在无感监管名单上的企业。",
        "抽取数 k = ⌈比例 × N⌉，按十进制精确计算（如 0.07 × 100 = 7）。",
        f"对总体中每家企业计算 SHA-256(“{disclosure.seed}|部门代码|事项代码|统一社会信用代码”)"
        "（UTF-8 编码）的十六进制摘要，摘要最小的 k 家即为抽中企业。",
        f"用本公示附带的 {REDO_SCRIPT}（只需 Python 3）可一次完成以上各步，命令见下。",
    ]


def redo_commands(disclosure: Disclosure) -> list[str]:
    """Shell commands an auditor runs, the seed quoted as the shell needs."""
    seed = shlex.quote(disclosure.seed)
    base = (
        f"python3 {REDO_SCRIPT} --seed {seed} --quarter {disclosure.quarter} "
        "--bundle 数据目录 --grades grades.csv"
    )
    one = shlex.quote(f"{disclosure.seed}|部门代码|事项代码|统一社会信用代码")
    return [
        f"{base} --summary   # 每条规则的 N 与 k，应与上表一致",
        f"{base} > draw.csv  # 抽中的企业及其摘要",
        "python3 -c 'import hashlib, sys; "
        "print(hashlib.sha256(sys.argv[1].encode()).hexdigest())' "
        f"{one}  # 单个企业的摘要",
    ]
