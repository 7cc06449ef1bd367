"""What the verification page says, in Chinese (the default) and English (``?lang=en``).

Kept apart from the templates so that both languages say the same things and a test can
check that neither misses a key.
"""

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "html_lang": "zh-CN",
        "title": "检查码核验",
        "site": "奉贤区涉企联合检查 · 检查码核验",
        "site_city": "涉企联合检查 · 检查码核验",
        "switch": "English",
        "switch_lang": "en",
        "colon": "：",
        "valid_head": "✓ 检查码有效",
        "valid_body": "这是本区已备案检查计划中的检查。请核对上门人员的姓名和执法证号。",
        "valid_offsite_head": "✓ 检查码有效",
        "valid_offsite_body": (
            "这是本区已备案检查计划中的非现场检查，由部门通过书面材料或远程方式核查。"
        ),
        "revoked_head": "✕ 此检查码已作废",
        "revoked_body": "检查计划已调整，此检查码不再有效，请勿凭此码接受检查。",
        "replacement": "新的检查码",
        "no_replacement": "此项检查已从计划中撤销，没有新的检查码。",
        "was_for": "原安排",
        "unknown_head": "? 查无此码",
        "unknown_body": (
            "此检查码由本区签发，但本系统中没有它的记录。请暂缓接受检查，"
            "先向检查人员所属部门或拨打 12345 核实。"
        ),
        "retired_head": "? 检查码已停用",
        "retired_body": (
            "此检查码由本区以已停用的密钥签发，现在无法核验。请暂缓接受检查，"
            "向检查人员所属部门索取当前有效的检查码，或拨打 12345 核实。"
        ),
        "forged_head": "⚠ 警告：检查码无效，疑似伪造",
        "forged_body": "此检查码不是本区签发的。请勿配合检查，并拨打 12345 举报。",
        "malformed_head": "✕ 检查码格式不正确",
        "malformed_body": (
            "检查码由 20 位数字和字母组成，例如 7KX3M-QW9RT-2HC8N-VB5ZJ。请核对是否输错。"
        ),
        "malformed_districts_body": (
            "检查码由 24 位数字和字母组成，例如 9EV8-A384R-MZNWV-VMCPH-3ZV6J。请核对是否输错。"
        ),
        "elsewhere_head": "? 本系统不核验此检查码",
        "elsewhere_body": (
            "此检查码注明的签发区不在本系统内，本系统没有它的记录。请暂缓接受检查，"
            "先向检查人员所属部门或拨打 12345 核实。"
        ),
        "named_district": "检查码注明的区",
        "district": "签发区",
        "typo_head": "✕ 检查码有一位输错了",
        "typo_body": "有一个字符不对——请对照检查人员出示的检查码，核对您输入的内容。",
        "code": "检查码",
        "enterprise": "企业名称",
        "uscc": "统一社会信用代码",
        "address": "地址",
        "date": "检查日期",
        "due": "完成期限",
        "departments": "检查部门",
        "items": "检查事项",
        "officers": "检查人员",
        "officer_name": "姓名",
        "officer_department": "部门",
        "officer_cert": "执法证号",
        "officers_note": "每个部门至少两名执法人员到场，检查时应主动出示执法证。",
        "offsite_note": "这是非现场检查，不会有人员上门。如有人凭此码上门检查，请先核实。",
        "plan": "检查计划",
        "revision": "版本",
        "rate_head": "检查评价",
        "rate_prompt": "请为本次检查打分（每个检查码只能评价一次）",
        "rate_1": "1 很不满意",
        "rate_2": "2 不满意",
        "rate_3": "3 一般",
        "rate_4": "4 满意",
        "rate_5": "5 很满意",
        "comment": "意见（选填，最多 {limit} 字）",
        "submit": "提交评价",
        "too_early": "检查当天起可以在此评价（{date} 起）。",
        "rated": "您已评价：{rating} 分。每个检查码只能评价一次。",
        "thanks": "感谢您的评价！",
        "err_csrf": "页面已过期，请刷新后重新提交。",
        "err_range": "请选择 1 到 5 分。",
        "err_comment": "意见最多 {limit} 字。",
        "err_too_early": "检查尚未进行，暂不能评价。",
        "err_twice": "此检查已经评价过，每个检查码只能评价一次。",
        "err_not_rateable": "只有有效的现场检查码才能评价。",
        "rate_limited": "请求过于频繁，请 {seconds} 秒后再试。",
        "server_error": "服务暂时不可用，请稍后再试。",
        "not_found": "页面不存在。",
        "enter_code": "输入检查码",
        "check": "核验",
        "footer": "本页面只显示本检查码对应的检查信息。",
    },
    "en": {
        "html_lang": "en",
        "title": "Inspection code check",
        "site": "Fengxian joint inspections · code check",
        "site_city": "Joint inspections · code check",
        "switch": "中文",
        "switch_lang": "zh",
        "colon": ": ",
        "valid_head": "✓ Valid inspection code",
        "valid_body": (
            "This inspection is on the district's filed plan. Check the officers' names and "
            "certificate numbers at the door."
        ),
        "valid_offsite_head": "✓ Valid inspection code",
        "valid_offsite_body": (
            "This off-site check is on the district's filed plan: the department checks "
            "documents or records from its office."
        ),
        "revoked_head": "✕ This code has been revoked",
        "revoked_body": (
            "The plan was changed and this code is no longer valid: do not accept an "
            "inspection on it."
        ),
        "replacement": "Replacement code",
        "no_replacement": "This inspection was taken off the plan; there is no new code.",
        "was_for": "Originally planned",
        "unknown_head": "? Code not on record",
        "unknown_body": (
            "This code was made with the district's key, but there is no record of it here. "
            "Do not accept the inspection until the department or the 12345 hotline confirms it."
        ),
        "retired_head": "? Code issued under a retired key",
        "retired_body": (
            "This code was issued by the district under a key that has since been retired, "
            "so it cannot be checked any more. Ask the department for the inspection's "
            "current code, or call the 12345 hotline."
        ),
        "forged_head": "⚠ Warning: this code is not genuine",
        "forged_body": (
            "This code was not issued by the district. Do not accept the inspection, and "
            "report it to the 12345 hotline."
        ),
        "malformed_head": "✕ Not a valid code",
        "malformed_body": (
            "An inspection code has 20 digits and letters, like 7KX3M-QW9RT-2HC8N-VB5ZJ. "
            "Check for a typing mistake."
        ),
        "malformed_districts_body": (
            "An inspection code has 24 digits and letters, like 9EV8-A384R-MZNWV-VMCPH-3ZV6J. "
            "Check for a typing mistake."
        ),
        "elsewhere_head": "? Not a code of this site's districts",
        "elsewhere_body": (
            "This code names a district whose codes are not checked here, so there is no "
            "record of it on this site. Do not accept the inspection until the department "
            "or the 12345 hotline confirms it."
        ),
        "named_district": "District named in the code",
        "district": "Issued by",
        "typo_head": "✕ One character is wrong",
        "typo_body": (
            "One character is wrong — check what you typed against the code the officers "
            "showed you."
        ),
        "code": "Code",
        "enterprise": "Enterprise",
        "uscc": "Unified social credit code",
        "address": "Address",
        "date": "Inspection date",
        "due": "Due by",
        "departments": "Departments",
        "items": "Inspection items",
        "officers": "Officers",
        "officer_name": "Name",
        "officer_department": "Department",
        "officer_cert": "Certificate no.",
        "officers_note": (
            "At least two officers of each department come, and they show their enforcement "
            "certificates."
        ),
        "offsite_note": (
            "This is an off-site check: nobody will visit. If someone comes to your door with "
            "this code, check with the department first."
        ),
        "plan": "Plan",
        "revision": "revision",
        "rate_head": "Rate this inspection",
        "rate_prompt": "How was this inspection? (one rating per code)",
        "rate_1": "1 very poor",
        "rate_2": "2 poor",
        "rate_3": "3 fair",
        "rate_4": "4 good",
        "rate_5": "5 very good",
        "comment": "Comment (optional, up to {limit} characters)",
        "submit": "Submit rating",
        "too_early": "You can rate the inspection here from the day of the visit ({date}).",
        "rated": "You rated this inspection {rating}. A code can be rated once.",
        "thanks": "Thank you for your rating!",
        "err_csrf": "This page has expired. Reload it and submit again.",
        "err_range": "Choose a rating from 1 to 5.",
        "err_comment": "A comment has at most {limit} characters.",
        "err_too_early": "The inspection has not taken place yet.",
        "err_twice": "This inspection has been rated already; a code can be rated once.",
        "err_not_rateable": "Only a valid code of an on-site inspection can be rated.",
        "rate_limited": "Too many requests. Try again in {seconds} seconds.",
        "server_error": "The service is unavailable. Try again later.",
        "not_found": "There is no such page.",
        "enter_code": "Enter an inspection code",
        "check": "Check",
        "footer": "This page shows only the inspection this code is for.",
    },
}


def pick_lang(requested: str | None) -> str:
    """The page language: ``en`` when asked for, else Chinese."""
    return requested if requested in LANGS else DEFAULT_LANG
