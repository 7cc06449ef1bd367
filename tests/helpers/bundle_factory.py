"""Tiny, readable bundles for import tests: a valid one to start from, and a writer.

``full_bundle()`` holds one or two rows of every file of spec §1, all valid; a test
changes the one cell it is about and writes the bundle with ``write_bundle``.
"""

import csv
import io
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from jointinspect.models.uscc import complete

Rows = list[dict[str, str]]
Bundle = dict[str, Rows]


def uscc(n: int, area: str = "310120") -> str:
    """A valid USCC (right check character) numbered ``n``."""
    return complete(f"91{area}{n:09d}")


def wrong_check(code: str) -> str:
    """``code`` with a wrong (but well-formed) check character."""
    return code[:17] + ("1" if code[17] != "1" else "2")


E1, E2, E3 = uscc(1), uscc(2), uscc(3)


def minimal_bundle() -> Bundle:
    """The four files the first import needs."""
    return {
        "departments.csv": [
            {"code": "SCJ", "name": "市场监管局"},
            {"code": "XF", "name": "消防救援支队"},
        ],
        "enterprises.csv": [
            {
                "uscc": E1,
                "name": "上海南桥糕点有限公司",
                "industry": "1411",
                "town": "南桥镇",
                "address": "南桥镇解放中路1号",
                "lat": "30.918",
                "lon": "121.474",
                "opened_on": "2015-03-02",
                "status": "active",
                "legal_rep": "LR-1",
            },
            {
                "uscc": E2,
                "name": "奉贤海湾歌舞娱乐有限公司",
                "industry": "9011",
                "town": "海湾镇",
                "address": "",
                "lat": "",
                "lon": "",
                "opened_on": "",
                "status": "",
                "legal_rep": "",
            },
            {
                "uscc": E3,
                "name": "上海奉城洗浴中心",
                "industry": "8051",
                "town": "奉城镇",
                "address": "",
                "lat": "",
                "lon": "",
                "opened_on": "",
                "status": "closed",
                "legal_rep": "LR-1",
            },
        ],
        "items.csv": [
            {
                "code": "SCJ-FOOD",
                "department": "SCJ",
                "name": "食品生产经营检查",
                "industries": "1411;5222",
                "minutes": "60",
                "mode": "onsite",
                "no_disturb": "0",
            },
            {
                "code": "SCJ-REMOTE",
                "department": "SCJ",
                "name": "网络交易监测",
                "industries": "*",
                "minutes": "15",
                "mode": "offsite",
                "no_disturb": "",
            },
            {
                "code": "XF-FIRE",
                "department": "XF",
                "name": "消防安全检查",
                "industries": "90;8051",
                "minutes": "45",
                "mode": "either",
                "no_disturb": "1",
            },
        ],
        "inspectors.csv": [
            {
                "id": "SCJ-001",
                "department": "SCJ",
                "name": "张三",
                "cert_no": "31012001",
                "cert_valid_until": "2027-12-31",
                "home_town": "南桥镇",
                "max_visits_per_day": "",
            },
            {
                "id": "XF-001",
                "department": "XF",
                "name": "李四",
                "cert_no": "31012002",
                "cert_valid_until": "2027-12-31",
                "home_town": "",
                "max_visits_per_day": "3",
            },
        ],
    }


def optional_files() -> Bundle:
    """One or two valid rows of every optional file, against ``minimal_bundle``."""
    return {
        "relations.csv": [{"uscc_a": E1, "uscc_b": E3, "kind": "legal_rep"}],
        "credit_events.csv": [
            {
                "id": "CE-1",
                "uscc": E2,
                "kind": "penalty",
                "date": "2024-05-06",
                "severity": "2",
                "department": "SCJ",
                "detail": "",
            }
        ],
        "industry_records.csv": [
            {
                "id": "IR-1",
                "uscc": E1,
                "department": "SCJ",
                "indicator": "食品安全等级",
                "value": "85.5",
                "date": "2025-01-01",
            }
        ],
        "availability.csv": [{"inspector_id": "SCJ-001", "date": "2025-07-07", "available": "0"}],
        "conflicts.csv": [{"inspector_id": "XF-001", "uscc": E2, "reason": "亲属"}],
        "no_disturb.csv": [{"uscc": E1, "since": "2025-01-01", "until": "", "reason": "A级"}],
        "sampling_rules.csv": [
            {"department": "SCJ", "item": "SCJ-FOOD", "grade": "C", "ratio": "0.07"}
        ],
        "demands.csv": [
            {
                "id": "D-1",
                "department": "SCJ",
                "item": "SCJ-FOOD",
                "uscc": E1,
                "source": "plan",
                "earliest": "2025-07-01",
                "latest": "2025-08-31",
                "priority": "",
                "onsite_required": "",
                "note": "",
            },
            {
                "id": "D-2",
                "department": "XF",
                "item": "XF-FIRE",
                "uscc": E2,
                "source": "followup",
                "earliest": "",
                "latest": "",
                "priority": "5",
                "onsite_required": "1",
                "note": "复查",
            },
        ],
        "triggers.csv": [
            {
                "id": "T-1",
                "uscc": E2,
                "kind": "complaint",
                "received_at": "2025-07-03T09:30:00+08:00",
                "department": "XF",
                "item": "XF-FIRE",
                "severity": "2",
                "detail": "12345 投诉：安全出口堵塞",
            }
        ],
        "history.csv": [
            {
                "id": "H-1",
                "uscc": E1,
                "department": "SCJ",
                "date": "2024-03-04",
                "result": "minor",
                "item": "SCJ-FOOD",
                "detail": "",
            }
        ],
    }


def full_bundle() -> Bundle:
    """Every file of spec §1 except outcomes and feedback (which need filed codes)."""
    return minimal_bundle() | optional_files()


def csv_text(rows: Rows, header: list[str] | None = None) -> str:
    """``rows`` as CSV text with a header (the keys of the first row unless given)."""
    out = io.StringIO()
    fields = header if header is not None else (list(rows[0]) if rows else [])
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_bundle(folder: Path, bundle: dict[str, Rows | str | bytes]) -> Path:
    """Write each file: rows as CSV, ``str`` as UTF-8 text, ``bytes`` as they are."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in bundle.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_bytes(content.encode("utf-8"))
        else:
            path.write_bytes(csv_text(content).encode("utf-8"))
    return folder


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in key order: equal snapshots mean an unchanged database."""
    tables: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*order))
            tables[table.name] = [tuple(row) for row in rows]
    return tables
