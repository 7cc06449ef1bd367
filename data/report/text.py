"""The words of the efficiency report in Chinese and English, in one table.

Charts and page share these labels, so a label changes in one place. ``text(key, lang)``
picks the language; every key has both.
"""

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

TEXT: dict[str, tuple[str, str]] = {
    # page
    "title": ("检查效能评估报告", "Inspection efficiency report"),
    "subtitle": (
        "{plan_id} · 第 {revision} 版（{status}）· 随机种子 {seed}",
        "{plan_id} · revision {revision} ({status}) · seed {seed}",
    ),
    "generated": ("计划生成于 {when}", "plan generated {when}"),
    "status_draft": ("草稿", "draft"),
    "status_filed": ("已备案", "filed"),
    "status_superseded": ("已被替代", "superseded"),
    "none": ("无", "none"),
    "no_data": ("暂无数据", "no data yet"),
    # What fills an empty section, said instead of a bare "no data": the page says it all,
    # its chart the words before the dash.
    "empty_offsite": (
        "暂无数据 — 本计划没有检查任务。任务来自导入的 demands.csv、投诉举报等触发事项和双随机"
        "抽取：导入后运行 jointinspect plan，再运行 jointinspect report。",
        "No data yet — this plan has no demands. They come from demands.csv, triggers and the "
        "双随机 draw: import them, run jointinspect plan, then run report again.",
    ),
    "empty_burden": (
        "暂无数据 — 尚无企业等级和现场检查。运行 jointinspect grade 评级、jointinspect plan "
        "制定计划后，再运行 jointinspect report。",
        "No data yet — no enterprise is graded or visited. Run jointinspect grade and "
        "jointinspect plan, then run report again.",
    ),
    "empty_outcomes": (
        "暂无数据 — 检查结果在检查之后随 outcomes.csv 导入（jointinspect import）；"
        "导入后再运行 jointinspect report。",
        "No data yet — outcomes arrive with `import` of outcomes.csv after the inspections; "
        "run report again then.",
    ),
    "empty_lift": (
        "分级靶向与随机选择的比较需要企业等级：运行 jointinspect grade 后再运行 "
        "jointinspect report。",
        "Comparing graded selection with random selection needs grades: run jointinspect "
        "grade, then run report again.",
    ),
    "empty_officers": (
        "暂无数据 — 尚无执法人员。执法人员随 inspectors.csv 导入（jointinspect import）；"
        "导入并重新制定计划后再运行 jointinspect report。",
        "No data yet — there are no officers. They arrive with `import` of inspectors.csv; "
        "plan again, then run report again.",
    ),
    "empty_visits": (
        "暂无数据 — 本计划没有现场检查：所有任务都改为非现场检查或未安排。"
        "有现场检查的版本（jointinspect plan 或 replan）生成后再运行 jointinspect report。",
        "No data yet — this plan has no on-site visits: every demand is off-site or "
        "unscheduled. Run report again on a revision with visits (plan or replan).",
    ),
    "empty_map": (
        "暂无数据 — 受检企业没有坐标。坐标来自 enterprises.csv 的 lat、lon 两列；"
        "补齐后导入（jointinspect import），再运行 jointinspect report。",
        "No data yet — the visited enterprises have no coordinates. They come from the lat "
        "and lon columns of enterprises.csv: import them, then run report again.",
    ),
    "empty_ratings": (
        "暂无评价 — 企业从检查当天起扫描检查码评价（jointinspect serve 的 /v/CODE 页面），"
        "评价也可随 feedback.csv 导入（jointinspect import）；之后再运行 jointinspect report。",
        "No ratings yet — enterprises rate a visit by scanning its code from the visit day on "
        "(the /v/CODE page of jointinspect serve), or ratings arrive with `import` of "
        "feedback.csv; run report again then.",
    ),
    "empty_revisions": (
        "尚无重新规划 — jointinspect replan（或每晚的 jointinspect daemon）接收新的投诉、预警"
        "和检查结果，备案下一版本；各版本的变化届时显示在这里。",
        "No replans yet — jointinspect replan (or the nightly jointinspect daemon) takes in "
        "new complaints, alerts and outcomes and files the next revision; what each changed "
        "shows here then.",
    ),
    "item": ("指标", "figure"),
    "value": ("数值", "value"),
    "count": ("数量", "count"),
    "share": ("占比", "share"),
    "total": ("合计", "total"),
    "summary": ("概览", "Summary"),
    "font_note": ("图表字体：{font}", "chart font: {font}"),
    # consolidation
    "sec_consolidation": ("综合查一次：现场检查次数", "Joint visits: on-site visits"),
    "alone": ("各部门单独检查", "departments alone"),
    "plan": ("本计划", "this plan"),
    "bound": ("合并下界", "lower bound"),
    "saved": ("减少现场检查", "visits saved"),
    "visits": ("现场检查次数", "on-site visits"),
    "demands": ("检查任务", "demands"),
    "drawn": ("其中双随机抽取", "of which drawn (双随机)"),
    "officer_days": ("执法人员人日", "officer-days"),
    "km": ("路程（公里）", "distance (km)"),
    "solve_time": ("求解时间（秒）", "solve time (s)"),
    "ratio_bound": ("相对下界", "× lower bound"),
    # departments
    "sec_offsite": ("各部门非现场检查占比", "Off-site share by department"),
    "department": ("部门", "department"),
    "department_name": ("部门名称", "name"),
    "onsite": ("现场", "on-site"),
    "offsite": ("非现场", "off-site"),
    "unscheduled": ("未安排", "unscheduled"),
    "offsite_share": ("非现场占比", "off-site share"),
    # no-disturb
    "sec_no_disturb": ("无事不扰：名单企业与事项", "No-disturb enterprises and items respected"),
    "nd_listed": ("无感监管名单企业", "enterprises on the no-disturb list"),
    "nd_items": ("无事不扰事项", "no-disturb items"),
    "nd_offsite_ent": ("名单企业改为非现场", "listed enterprises: done off-site"),
    "nd_offsite_item": ("无事不扰事项改为非现场", "no-disturb items: done off-site"),
    "nd_unsched_ent": ("因名单企业未安排", "unscheduled: no-disturb enterprise"),
    "nd_unsched_item": ("因无事不扰事项未安排", "unscheduled: no-disturb item"),
    "nd_triggered": ("名单企业的触发性现场检查（允许）", "triggered visits to listed (allowed)"),
    "nd_violations": ("违反无事不扰的检查", "visits breaking no-disturb"),
    # burden
    "sec_burden": (
        "企业负担：各等级检查频次与重复检查",
        "Burden: visits per enterprise by grade, repeat visits",
    ),
    "grade": ("信用风险等级", "grade"),
    "grade_x": ("{g} 级", "grade {g}"),
    "enterprises": ("企业数", "enterprises"),
    "visited": ("被检查企业", "visited"),
    "per_enterprise": ("每户现场检查次数", "visits per enterprise"),
    "repeat": ("重复检查企业（≥2 次）", "repeat-visit enterprises (≥2)"),
    "multi_dept": ("多部门需检查企业（单独检查将多头查）", "enterprises several departments need"),
    "visits_n": ("本季度检查 {n} 次的企业", "enterprises visited {n}×"),
    # outcomes
    "sec_outcomes": (
        "检查发现：每次现场检查发现的违法行为",
        "Findings: violations per on-site visit",
    ),
    "by_grade": ("按等级", "by grade"),
    "by_source": ("按来源", "by source"),
    "source": ("任务来源", "source"),
    "checks": ("检查事项", "checks"),
    "violations": ("违法", "violations"),
    "minor": ("轻微不罚", "minor (not penalised)"),
    "compliant": ("合规", "compliant"),
    "not_done": ("未检查", "not done"),
    "per_visit": ("每次检查违法数", "violations per visit"),
    "violation_rate": ("违法率", "violation rate"),
    "minor_share": ("轻微不罚占比", "minor share"),
    "overall_rate": ("总体（随机选择期望）", "overall (random selection)"),
    "lift_title": ("分级靶向与随机选择比较", "Graded selection against random selection"),
    "targeted": ("靶向等级 {grades} 的违法企业比例", "violating share in grades {grades}"),
    "base_rate": ("随机选择同样多企业的期望比例", "expected share, random selection"),
    "lift": ("提升倍数", "lift"),
    "auc": ("风险分 AUC", "AUC of the risk score"),
    "inspected": ("被检查企业（有结果）", "inspected enterprises (with findings)"),
    # risk model
    "sec_model": (
        "风险模型：学习模型与默认模型的样本外验证",
        "Risk model: out-of-time validation, learned beside default",
    ),
    "model_none": (
        "评级目前使用随附的默认风险模型（grading.toml 中的默认权重），尚未采用从本辖区检查结果"
        "学习的模型。辖区有了检查历史（历次检查及其结果）后，运行 jointinspect calibrate --adopt："
        "它从历史中学习评分卡，在留出的最近检查（默认最近 365 天）上做样本外验证，"
        "优于默认模型时予以采用。"
        "采用后本节显示该模型是哪一个、由谁何时采用，以及它与默认模型、仅凭违法历史的对比："
        "AUC、平均精度、Brier 分数、提升倍数、各等级违法率，校准图和累计捕获曲线。",
        "Grades come from the shipped default risk model (the default weights of grading.toml); "
        "no model learned from this district's inspection outcomes has been adopted. Once the "
        "district has inspection history (past inspections and their results), run "
        "jointinspect calibrate --adopt: it learns a scorecard from that history, validates it "
        "out of time on the latest inspections held out (by default the last 365 days) and "
        "adopts it when it beats the default. "
        "This section then shows which model grades, who adopted it and when, and how it "
        "compares with the default and with violation history alone: AUC, average precision, "
        "Brier score, lift, violation rate per grade, a calibration chart and a gains chart.",
    ),
    "model_window": (
        "样本外验证：用截至 {cutoff} 的 {fitted} 次检查拟合，在其后至 {to} 的 {held} 次检查"
        "（{found} 次发现违法）上评分，与随附的默认模型及仅凭违法历史的评分并列比较。",
        "Out-of-time validation: fitted on the {fitted} inspections up to {cutoff}, scored on "
        "the {held} after it up to {to} ({found} found violations), beside the shipped default "
        "model and violation history alone.",
    ),
    "model_regrade": (
        "注意：本报告中的等级由{by}评定，不是由已采用的模型 {id} 评定；"
        "运行 jointinspect grade 即按该模型重新评级。",
        "Note: the grades in this report were made by {by}, not by the adopted model {id}; "
        "jointinspect grade regrades with it.",
    ),
    "model_by_default": ("默认模型", "the default model"),
    "model_by_other": ("模型 {id}", "model {id}"),
    "model_facts": ("已采用的模型", "The adopted model"),
    "model_id": ("模型编号", "model"),
    "model_as_of": ("拟合数据截至", "fitted on inspections up to"),
    "model_fitted": ("拟合用检查（其中违法）", "inspections fitted on (violations)"),
    "model_features": ("有权重的特征", "features with weight"),
    "model_adopted_by": ("采用人", "adopted by"),
    "model_adopted_at": ("采用时间", "adopted at"),
    "model_forced": ("强制采用（未优于默认模型）", "forced (did not beat the default)"),
    "model_beats": ("样本外 AUC 优于默认模型", "beats the default (held-out AUC)"),
    "model_grades_from": ("本报告等级的评定模型", "grades in this report made by"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "learned": ("学习模型", "learned"),
    "default_model": ("默认模型", "default"),
    "history_alone": ("仅违法历史", "history alone"),
    "random_choice": ("随机检查", "random"),
    "perfect": ("理想", "perfect"),
    "model_auc": ("AUC（越高越好）", "AUC (higher is better)"),
    "average_precision": ("平均精度（越高越好）", "average precision (higher is better)"),
    "brier": ("Brier 分数（越低越好）", "Brier score (lower is better)"),
    "lift_at": ("提升倍数：风险最高的 {share}", "lift, riskiest {share}"),
    "rate_of_grade": ("{g} 级违法率", "violation rate, grade {g}"),
    "model_gains": ("累计捕获曲线", "Gains: violations found against inspections made"),
    "gains_table": ("累计捕获曲线数据", "Gains curve data"),
    "share_inspected": ("按风险从高到低检查的比例", "share inspected, riskiest first"),
    "share_found": ("发现的违法占比", "share of violations found"),
    "model_no_gains": (
        "该模型保存时尚未记录捕获曲线：仅显示 10%、20% 处的提升倍数点",
        "stored before the gains curve was kept: the lift points at 10% and 20% only",
    ),
    "model_calibration": ("校准：预测与实际违法率（按十分位）", "Calibration by decile"),
    "decile": ("十分位", "decile"),
    "predicted": ("预测概率", "predicted"),
    "observed": ("实际违法率", "observed"),
    "predicted_axis": ("预测违法概率", "predicted probability of a violation"),
    "observed_axis": ("实际违法率", "observed violation rate"),
    "model_one_class": (
        "留出的检查结果只有一类，无法校准",
        "the held-out inspections are of one result: no calibration",
    ),
    "model_grades": ("各等级违法率：学习模型与默认模型", "Violation rate per grade"),
    "held_out": ("留出检查", "held out"),
    "held_out_n": ("留出检查数", "held-out inspections"),
    "held_out_rate": ("留出检查总体违法率", "held-out violation rate"),
    "model_no_grades": ("没有按等级的验证数据", "no per-grade figures stored"),
    # workload
    "sec_workload": ("执法人员工作量分布", "Officer workload"),
    "officers": ("执法人员", "officers"),
    "visits_per_officer": ("每名执法人员现场检查次数", "visits per officer"),
    "min": ("最少", "min"),
    "median": ("中位数", "median"),
    "max": ("最多", "max"),
    "load_same_roster": (
        "各部门都有 {officers} 名执法人员，工作量的差别来自各自的现场任务量。",
        "Every department has {officers} officers: the loads differ with the on-site tasks.",
    ),
    "load_high": (
        "{name}（{code}）：每名执法人员 {load} 次现场检查（中位数），是各部门中位数 {typical} 次的 "
        "{ratio} 倍 — {officers} 名执法人员承担本部门 {onsite} 项现场任务，"
        "合为 {visits} 次现场检查，每次本部门去 2 人。",
        "{name} ({code}): visits per officer {load} (median), {ratio}× the median "
        "department's {typical} — its {officers} officers carry {onsite} on-site tasks, "
        "{visits} visits with two of them on each.",
    ),
    "load_low": (
        "{name}（{code}）：每名执法人员 {load} 次现场检查（中位数），"
        "远少于各部门中位数 {typical} 次 — {officers} 名执法人员只有 {onsite} 项现场任务"
        "（{visits} 次现场检查）{rest}。",
        "{name} ({code}): visits per officer {load} (median), far below the median "
        "department's {typical} — its {officers} officers have {onsite} on-site tasks "
        "({visits} visits){rest}.",
    ),
    "load_rest_offsite": (
        "，本季度其余 {n} 项任务为非现场检查",
        "; its other {n} tasks this quarter are off-site",
    ),
    "load_rest_unscheduled": (
        "，{n} 项未安排",
        ", {n} unscheduled",
    ),
    # towns
    "sec_towns": ("各街镇现场检查分布", "Visits by town"),
    "town": ("街镇", "town"),
    "triggered": ("触发性检查", "triggered"),
    "routine": ("日常检查", "routine"),
    "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"),
    # ratings
    "sec_ratings": ("企业扫码评价", "Enterprise ratings (scan-to-rate)"),
    "rating": ("评分", "rating"),
    "stars": ("{n} 星", "{n}★"),
    "rated": ("已评价检查", "rated visits"),
    "rateable": ("可评价检查（有效检查码）", "rateable visits (valid code)"),
    "mean_rating": ("平均评分", "mean rating"),
    "response_rate": ("评价率", "response rate"),
    # revisions
    "sec_revisions": (
        "版本记录：夜间重新规划的变化",
        "Revision history: what nightly replanning changed",
    ),
    "revision": ("版本", "revision"),
    "status": ("状态", "status"),
    "generated_at": ("生成时间", "generated"),
    "filed_at": ("备案时间", "filed"),
    "changes": ("变化", "changes"),
    "no_replans": ("尚无重新规划", "no replans yet"),
    # sources
    "src_plan": ("部门计划", "department plan"),
    "src_key": ("重点监管", "key supervision"),
    "src_license": ("许可核查", "licence check"),
    "src_random": ("双随机", "random draw"),
    "src_complaint": ("投诉举报", "complaint"),
    "src_alert": ("非现场预警", "alert"),
    "src_accident": ("事故", "accident"),
    "src_referral": ("移送", "referral"),
    "src_followup": ("非现场发现后核查", "follow-up"),
    # warnings
    "warn_no_cjk": (
        "未找到可显示中文的字体，图表改用英文标签；安装中文字体（Debian/Ubuntu：apt-get install "
        "fonts-noto-cjk）后再运行 jointinspect report",
        "no font that renders Chinese was found, so the charts' labels are in English; "
        "install one (Debian/Ubuntu: apt-get install fonts-noto-cjk) and run report again",
    ),
    "burden_ungraded": (
        "尚无企业等级：运行 jointinspect grade 评级后再运行 jointinspect report，"
        "本节即按 A–D 各级显示。",
        "No enterprise is graded yet: run jointinspect grade, then run report again to see "
        "this section by grade A–D.",
    ),
}


def text(key: str, lang: Lang, **values: object) -> str:
    """The label ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    zh, en = TEXT[key]
    words = zh if lang == "zh" else en
    return words.format(**values) if values else words


def source_label(source: str, lang: Lang) -> str:
    """A demand source in words (the code itself when it is not a known source)."""
    key = f"src_{source}"
    return text(key, lang) if key in TEXT else source
