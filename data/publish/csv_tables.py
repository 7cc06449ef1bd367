"""The disclosure as CSV: the plan summary and the results, UTF-8 with a BOM so that Excel
shows the Chinese text, with Chinese headers as the page has them. Text cells go through
``safe_text``, as every CSV the product writes: a public file must not carry a formula
that an enterprise's name smuggled in."""

import csv
import io
from collections.abc import Iterable, Sequence

from jointinspect.data.exports.files import safe_text
from jointinspect.data.publish.content import GRADES, Disclosure, DrawSource
from jointinspect.data.publish.text import CHECK_MODE, ITEM_MODE, RESULT

PLAN_HEADER = (
    "计划编号",
    "版本",
    "随机种子",
    "部门代码",
    "部门",
    "检查事项代码",
    "检查事项",
    "检查方式",
    "信用风险等级",
    "抽查比例",
    "对象总数",
    "抽取数量",
    "列入计划",
)
SPECIAL_HEADER = ("专项批准文号", "批准日期")
RESULTS_HEADER = (
    "企业名称",
    "统一社会信用代码",
    "部门",
    "检查事项代码",
    "检查事项",
    "检查方式",
    "检查日期",
    "检查结果",
)
#: The grade cell of the row that totals an item.
TOTAL = "合计"


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([safe_text(c) if isinstance(c, str) else c for c in row] for row in rows)
    # utf-8-sig puts the BOM Excel needs to read the file as UTF-8.
    return buffer.getvalue().encode("utf-8-sig")


def plan_csv(d: Disclosure) -> bytes:
    """One row per (item, grade) with the ratio, N and k (blank when not known), and one
    ``合计`` row per item with its drawn enterprises and how many the plan placed."""
    known = d.draw_source is not DrawSource.UNAVAILABLE
    special = (
        (d.special.reference, d.special.approved_on.isoformat()) if d.special is not None else ()
    )
    rows: list[list[object]] = []
    for line in d.items:
        lead = [
            d.plan_id,
            d.revision,
            d.seed,
            line.department,
            line.department_name,
            line.item,
            line.item_name,
            ITEM_MODE.get(line.mode, line.mode),
        ]
        figures = {f.grade: f for f in line.figures}
        ratios = dict(line.ratios)
        for grade in (g for g in GRADES if g in ratios or g in figures):
            figure = figures.get(grade)
            ratio = figure.ratio if figure is not None else ratios[grade]
            counts: list[object] = (
                [figure.population, figure.drawn] if known and figure is not None else ["", ""]
            )
            rows.append([*lead, grade, ratio, *counts, "", *special])
        rows.append([*lead, TOTAL, "", "", line.drawn, line.onsite + line.offsite, *special])
    header = PLAN_HEADER + (SPECIAL_HEADER if d.special is not None else ())
    return _csv(header, rows)


def results_csv(d: Disclosure) -> bytes:
    return _csv(
        RESULTS_HEADER,
        (
            [
                line.enterprise,
                line.uscc,
                line.department_name,
                line.item,
                line.item_name,
                CHECK_MODE.get(line.mode, line.mode),
                line.date.isoformat(),
                RESULT.get(line.result, line.result),
            ]
            for line in d.results
        ),
    )
