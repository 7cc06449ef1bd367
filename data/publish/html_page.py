"""The disclosure as one self-contained HTML page in Chinese, readable on a phone.

No script, no font, image or stylesheet fetched: the CSS is inline, so the page can be
put on any government site or opened from a USB stick. Wide tables scroll inside their
own box, so the page itself never scrolls sideways on a 390-pixel phone screen.
"""

from collections.abc import Iterable, Sequence
from html import escape

from jointinspect.data.publish.content import (
    GRADES,
    Disclosure,
    DrawSource,
    ItemLine,
    ratio_percent,
    result_counts,
)
from jointinspect.data.publish.text import (
    CHECK_MODE,
    DRAW_SOURCE_NOTE,
    ITEM_MODE,
    PRIVACY_NOTE,
    RESULT,
    RESULT_ORDER,
    date_words,
    redo_commands,
    redo_steps,
    title,
)

CSS = """
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
  "Microsoft YaHei", sans-serif; margin: 0 auto; max-width: 960px; padding: 12px 14px 32px;
  color: #1a202c; background: #ffffff; font-size: 16px; line-height: 1.6; }
h1 { font-size: 22px; line-height: 1.35; margin: 8px 0 6px; color: #9b2c2c; }
h2 { font-size: 18px; margin: 26px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #9b2c2c; }
p { margin: 6px 0; }
.meta { color: #4a5568; font-size: 14px; margin: 0; }
.kpis { display: flex; flex-wrap: wrap; gap: 8px; margin: 14px 0; }
.kpi { flex: 1 1 120px; border: 1px solid #e2e8f0; border-radius: 6px; padding: 6px 10px; }
.kpi b { display: block; font-size: 22px; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: 8px 0; }
table { border-collapse: collapse; font-size: 14px; min-width: 100%; }
th, td { border: 1px solid #cbd5e0; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f7fafc; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { background: #f7fafc; }
tr.total td.n { font-weight: bold; }
td .note { font-size: 12px; }
.day { white-space: nowrap; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
code.seed { font-size: 16px; background: #fefcbf; padding: 1px 6px; word-break: break-all; }
pre { background: #f7fafc; border: 1px solid #e2e8f0; padding: 8px; overflow-x: auto;
  white-space: pre; }
pre.commands { white-space: pre-wrap; word-break: break-all; }
ol { padding-left: 22px; }
.note { color: #4a5568; font-size: 14px; }
footer { margin-top: 28px; color: #4a5568; font-size: 13px; border-top: 1px solid #e2e8f0;
  padding-top: 8px; }
details summary { cursor: pointer; color: #2b6cb0; }
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _table(headers: Sequence[str], rows: Iterable[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _cell(value: object, *, number: bool = False) -> str:
    return f'<td class="n">{_e(value)}</td>' if number else f"<td>{_e(value)}</td>"


def _kpis(d: Disclosure) -> str:
    figures = [
        ("参与部门", len(d.departments)),
        ("抽查事项", len(d.items)),
        ("抽取（户次）", d.drawn),
        ("列入计划（户次）", d.planned),
        ("已公示结果（户次）", len(d.results)),
    ]
    cells = "".join(f'<div class="kpi">{_e(name)}<b>{n:,}</b></div>' for name, n in figures)
    return f'<div class="kpis">{cells}</div>'


def _departments(d: Disclosure) -> str:
    rows = (
        "<tr>"
        + _cell(line.name)
        + _cell(line.items, number=True)
        + _cell(line.drawn, number=True)
        + _cell(line.planned, number=True)
        + "</tr>"
        for line in d.departments
    )
    return _table(["部门", "抽查事项", "抽取（户次）", "列入计划"], rows)


def _placed(line: ItemLine) -> str:
    """Where the plan put the item's drawn checks, in words."""
    parts = [f"现场 {line.onsite}", f"非现场 {line.offsite}"]
    if line.unscheduled:
        parts.append(f"未能安排 {line.unscheduled}")
    return " · ".join(parts)


def _item_rows(line: ItemLine, known: bool) -> list[str]:
    figures = {f.grade: f for f in line.figures}
    ratios = dict(line.ratios)
    grades = [g for g in GRADES if g in ratios or g in figures]
    mode = ITEM_MODE.get(line.mode, line.mode)
    head = (
        f'<td rowspan="{len(grades) + 1}"><b>{_e(line.item_name)}</b><br/>'
        f'<span class="note">{_e(line.department_name)}<br/>{_e(mode)} · {_e(line.item)}'
        "</span></td>"
    )
    rows = []
    for index, grade in enumerate(grades):
        figure = figures.get(grade)
        ratio = figure.ratio if figure is not None else ratios[grade]
        rows.append(
            "<tr>"
            + (head if index == 0 else "")
            + _cell(f"{grade} 类")
            + _cell(ratio_percent(ratio), number=True)
            + _cell(figure.population if known and figure else "—", number=True)
            + _cell(figure.drawn if known and figure else "—", number=True)
            + "</tr>"
        )
    rows.append(
        '<tr class="total">'
        + (head if not grades else "")
        + _cell("合计")
        + f'<td colspan="2" class="note">{_e(_placed(line))}</td>'
        + _cell(line.drawn, number=True)
        + "</tr>"
    )
    return rows


def _items(d: Disclosure) -> str:
    known = d.draw_source is not DrawSource.UNAVAILABLE
    rows = [row for line in d.items for row in _item_rows(line, known)]
    return _table(["检查事项", "等级", "比例", "对象数", "抽取"], rows)


def _redo(d: Disclosure, script: str) -> str:
    steps = "".join(f"<li>{_e(step)}</li>" for step in redo_steps(d))
    commands = "\n".join(redo_commands(d))
    return (
        f'<p>随机种子：<code class="seed">{_e(d.seed)}</code></p>'
        f"<p>{_e(DRAW_SOURCE_NOTE[d.draw_source])}</p>"
        f"<ol>{steps}</ol>"
        f'<pre class="commands">{_e(commands)}</pre>'
        '<p class="note">检查人员由系统在符合资格、无回避情形的人员中以同一种子随机选派。</p>'
        f"<details><summary>redo_draw.py 全文</summary><pre>{_e(script)}</pre></details>"
    )


def _results(d: Disclosure) -> str:
    if not d.results:
        return "<p>抽查结果将在检查完成、结果录入后公示。</p>"
    counts = result_counts(d.results)
    summary = "，".join(f"{RESULT[r]} {counts[r]:,} 户次" for r in RESULT_ORDER if counts.get(r))
    rows = (
        "<tr>"
        + f'<td>{_e(line.enterprise)}<br/><span class="note">{_e(line.uscc)}</span></td>'
        + f'<td>{_e(line.item_name)}<br/><span class="note">{_e(line.department_name)} · '
        + f"{_e(CHECK_MODE.get(line.mode, line.mode))}</span></td>"
        + f'<td><span class="day">{_e(line.date.isoformat())}</span><br/>'
        + f"{_e(RESULT.get(line.result, line.result))}</td>"
        + "</tr>"
        for line in d.results
    )
    headers = ["企业名称 / 统一社会信用代码", "检查事项", "日期 / 结果"]
    return f"<p>已录入结果 {len(d.results):,} 户次：{_e(summary)}。</p>" + _table(headers, rows)


def render_page(d: Disclosure, *, script: str) -> str:
    """The whole page; ``script`` is the text of ``redo_draw.py``, shown in full."""
    heading = title(d)
    meta = [
        f"计划编号 {d.plan_id} · 第 {d.revision} 版 · {date_words(d.filed_on)}备案",
        f"公示日期：{date_words(d.published_on)}",
    ]
    if d.special is not None:
        meta.insert(
            0,
            f"批准文号：{d.special.reference} · 批准日期：{date_words(d.special.approved_on)}",
        )
    meta_html = "".join(f'<p class="meta">{_e(line)}</p>' for line in meta)
    kind = "专项检查" if d.special is not None else "“双随机”抽查"
    intro = (
        f"依据“双随机、一公开”监管要求，现将{_e(kind)}计划公示如下：抽查事项、实施部门、"
        "按企业信用风险分类确定的抽查比例、各类抽取的企业数、随机种子及复核方法；"
        "检查完成后公示抽查结果。"
    )
    body = (
        f"<h1>{_e(heading)}</h1>{meta_html}<p>{intro}</p>{_kpis(d)}"
        f"<h2>一、实施部门</h2>{_departments(d)}"
        f"<h2>二、抽查事项与比例</h2>{_items(d)}"
        f"<h2>三、随机种子与复核方法</h2>{_redo(d, script)}"
        f"<h2>四、抽查结果</h2>{_results(d)}"
        f"<footer>{_e(PRIVACY_NOTE)}</footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{_e(heading)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )
