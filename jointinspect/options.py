"""The options the workflows take, as plain values.

The interfaces read settings once, at the edge (the CLI from ``JOINTINSPECT_*`` and its
flags), and hand the library an :class:`Options`; a Python caller builds one directly,
or takes the defaults. Nothing here reads the environment.
"""

import dataclasses
import os
import secrets
from pathlib import Path

from jointinspect.data.bundle.calendar_file import load_calendar
from jointinspect.data.codes.keys import KeyRing, load_key_file, parse_keys
from jointinspect.models.errors import JointInspectError
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.risk.config import GradingConfig, load_config
from jointinspect.scheduler.params import SchedulerParams


class GradingConfigFileError(JointInspectError):
    """The user's grading configuration file cannot be read."""


@dataclasses.dataclass(frozen=True)
class Options:
    """What a coordinator may configure for the workflows; every value has a default."""

    key_file: Path = Path("jointinspect.key")  # secret key for inspection codes
    key: str | None = None  # code keys as KEYID:HEX[;KEYID:HEX…] instead of key_file
    key_origin: str = "JOINTINSPECT_KEY"  # where ``key`` came from, for messages
    calendar_file: Path | None = None  # extra holidays / make-up working days (TOML)
    grading_file: Path | None = None  # overrides of the shipped grading weights (TOML)
    scheduler_file: Path | None = None  # overrides of the shipped scheduler parameters
    trigger_response_days: int = 10
    pin_working_days: int = 2
    inbox_dir: Path | None = None  # replan: bundle folders dropped here are imported first
    lock_timeout: float = 60.0
    daemon_export_dir: Path | None = None
    district_prefix: str = "FX"  # plan ids are PREFIX-YYYYQn
    verify_base_url: str | None = None  # QR codes hold {verify_base_url}/v/CODE


def working_calendar(options: Options) -> WorkingCalendar:
    """The official calendar with the district's override file, when one is set."""
    if options.calendar_file is None:
        return WorkingCalendar()
    return load_calendar(options.calendar_file)


def load_keys(options: Options) -> KeyRing:
    """The code keys: from ``key`` when given, else from the key file."""
    if options.key is not None:
        return parse_keys(options.key, origin=options.key_origin)
    return load_key_file(options.key_file)


def scheduler_params(options: Options) -> SchedulerParams:
    """The shipped scheduler parameters, overridden by ``scheduler_file`` when set."""
    if options.scheduler_file:
        return SchedulerParams.from_toml(options.scheduler_file)
    return SchedulerParams.default()


def grading_config(options: Options, config_file: Path | None = None) -> GradingConfig:
    """The shipped grading weights, overridden by ``config_file`` or ``grading_file``."""
    path = config_file or options.grading_file
    if path is None:
        return load_config()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GradingConfigFileError(
            f"cannot read the grading configuration {path}: {exc}",
            hint="give a UTF-8 TOML file; see risk/grading.toml for every key",
        ) from exc
    return load_config(text, source=str(path))


class KeyFileError(JointInspectError):
    """The secret key file cannot be created or has unsafe permissions."""


def create_key_file(path: Path) -> bool:
    """Create a fresh random key readable only by its owner; False when it exists already."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise KeyFileError(f"cannot create key file {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "w") as handle:
        # key id, then 32 random bytes; the id lets keys rotate without breaking old codes.
        handle.write(f"k1:{secrets.token_hex(32)}\n")
    return True
