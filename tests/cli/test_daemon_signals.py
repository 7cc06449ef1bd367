"""The daemon takes SIGTERM at any moment after it has set up, even before its scheduler
runs: it stops cleanly instead of crashing with SchedulerNotRunningError."""

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from jointinspect.cli import daemon
from jointinspect.cli.settings import load_settings
from jointinspect.database import open_database


@pytest.mark.parametrize("moment", ["before the scheduler starts", "once it runs"])
def test_sigterm_at_any_moment_stops_the_daemon_cleanly(
    moment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(db=f"sqlite:///{tmp_path / 'd.db'}")
    engine = open_database(settings.db, create=True)
    start = BackgroundScheduler.start

    def start_with_a_signal(self: BackgroundScheduler, *args: Any, **kwargs: Any) -> None:
        if moment == "before the scheduler starts":
            os.kill(os.getpid(), signal.SIGTERM)
            start(self, *args, **kwargs)
        else:
            start(self, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(BackgroundScheduler, "start", start_with_a_signal)
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)

    def hung(_signum: int, _frame: object) -> None:
        raise TimeoutError("the daemon did not stop within 20 s of SIGTERM")

    signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        with caplog.at_level("INFO", logger="jointinspect.daemon"):
            daemon.run_daemon(settings, engine)  # returns: no exception, no hang
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
        engine.dispose()
    assert "received SIGTERM; shutting down" in caplog.text
    assert "daemon stopped" in caplog.text
