"""Shanghai's sixteen districts: area code (GB/T 2260), name, and the prefix of their
plan ids (the initials of the name in pinyin, as 奉贤 → FX)."""

from jointinspect.models.districts import District

SHANGHAI: tuple[District, ...] = (
    District("310101", "黄浦区", "HP"),
    District("310104", "徐汇区", "XH"),
    District("310105", "长宁区", "CN"),
    District("310106", "静安区", "JA"),
    District("310107", "普陀区", "PT"),
    District("310109", "虹口区", "HK"),
    District("310110", "杨浦区", "YP"),
    District("310112", "闵行区", "MH"),
    District("310113", "宝山区", "BS"),
    District("310114", "嘉定区", "JD"),
    District("310115", "浦东新区", "PD"),
    District("310116", "金山区", "JS"),
    District("310117", "松江区", "SJ"),
    District("310118", "青浦区", "QP"),
    District("310120", "奉贤区", "FX"),
    District("310151", "崇明区", "CM"),
)

BY_CODE = {d.code: d for d in SHANGHAI}
