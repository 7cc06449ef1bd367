"""The nightly ``replan`` command loads what replanning needs, not the daemon's scheduler
or the exports' libraries: its last line used to come from the daemon's module, and
importing that (APScheduler, the exports, the push client) cost every replan about a
fifth of a second before any work."""

import datetime as dt
import json
import os
import subprocess
import sys

from helpers.replan_world import AS_OF, QUARTER, World, write_bundle
from sqlalchemy import text

from jointinspect.models import make_engine

#: What the daemon and the exports load, and a replan does not need.
NOT_FOR_REPLAN = ("apscheduler", "openpyxl", "segno", "httpx")


def test_replan_imports_neither_the_daemon_nor_the_exports(filed_world: World) -> None:
    # An officer of a visit a week after the replan's date falls ill that day: the
    # replan has something to change, so it files and prints its account.
    engine = make_engine(filed_world.url)
    with engine.connect() as conn:
        officer, day = conn.execute(
            text(
                "SELECT o.inspector_id, v.date FROM visit v JOIN visit_officer o "
                "ON o.visit_id = v.id WHERE v.date >= :day ORDER BY v.date, v.id LIMIT 1"
            ),
            {"day": (AS_OF + dt.timedelta(days=7)).isoformat()},
        ).one()
    engine.dispose()
    inbox = filed_world.district / "inbox"
    write_bundle(
        inbox / "sick",
        "availability.csv",
        [{"inspector_id": officer, "date": day, "available": "0"}],
    )
    script = (
        "import json, sys\n"
        "from jointinspect.cli.app import main\n"
        f"sys.argv = ['jointinspect', 'replan', '--quarter', '{QUARTER}', "
        f"'--as-of', '{AS_OF.isoformat()}']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print(json.dumps(sorted({n.split('.')[0] for n in sys.modules} | "
        "{n for n in sys.modules if n.startswith('jointinspect.cli.')})))\n"
    )
    env = os.environ | {
        "JOINTINSPECT_DB": filed_world.url,
        "JOINTINSPECT_KEY_FILE": str(filed_world.key_file),
        "JOINTINSPECT_INBOX_DIR": str(inbox),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    *lines, last = done.stdout.splitlines()
    loaded = json.loads(last)
    # The run's one-line account is still printed (now by the library's ReplanRun).
    assert any(line.startswith(f"replan {QUARTER} as of {AS_OF}") for line in lines), lines
    assert "jointinspect.cli.daemon" not in loaded
    assert not [name for name in NOT_FOR_REPLAN if name in loaded]
