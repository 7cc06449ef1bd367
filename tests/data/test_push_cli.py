"""``jointinspect push`` beside another push: a share it holds is named and left alone."""

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from helpers.plan_factory import sample_plan
from sqlalchemy import update
from sqlmodel import Session, col
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.data.codes.filing import file_plan
from jointinspect.data.exports.push import Endpoint, RetryPolicy, push_plan
from jointinspect.models import OutboxDelivery, create_schema, make_engine, session_scope
from jointinspect.models.codes import CodeKey

NOW = dt.datetime(2025, 6, 20, 9, 0, tzinfo=dt.UTC)
#: Nothing listens on the discard port: an attempt there fails at once.
URL = "http://127.0.0.1:9/plans"


def _ok(_s: Session, _r: int) -> Sequence[str]:
    return []


def test_push_names_a_share_another_push_is_sending(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    try:
        create_schema(engine)
        sample_plan(engine)
        file_plan(
            "2025Q3", engine=engine, key=CodeKey("k1", b"k" * 32), filed_by="t", now=NOW, check=_ok
        )
        endpoint = Endpoint("XF", URL, "json", "t", 5)
        push_plan(
            "2025Q3",
            engine=engine,
            endpoints=[endpoint],
            now=lambda: NOW,
            retry=RetryPolicy(max_attempts=1),
        )
        # Another push claimed the share a moment ago (its claim time is now).
        with session_scope(engine) as session:
            session.execute(
                update(OutboxDelivery)
                .where(col(OutboxDelivery.department) == "XF")
                .values(status="sending", updated_at=dt.datetime.now(dt.UTC))
            )
    finally:
        engine.dispose()
    endpoints = tmp_path / "endpoints.toml"
    endpoints.write_text(
        f'[departments.XF]\nurl = "{URL}"\ntoken_env = "JI_TEST_XF_TOKEN"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(
        app,
        ["push", "--quarter", "2025Q3", "--endpoints", str(endpoints)],
        env={"JOINTINSPECT_DB": url, "JI_TEST_XF_TOKEN": "t"},
    )
    assert result.stdout == "XF: being sent by another push, not sent here\n"
    assert result.exit_code == 0
