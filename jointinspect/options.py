"""The options the workflows take, as plain values.

The interfaces read settings once, at the edge (the CLI from ``JOINTINSPECT_*`` and its
flags), and hand the library an :class:`Options`; a Python caller builds one directly,
or takes the defaults. Nothing here reads the environment.
"""

import dataclasses
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from jointinspect.data.bundle.calendar_file import load_calendar
from jointinspect.data.codes.key_registry import bind_keys, registered_keys
from jointinspect.data.codes.keys import KeyRing, load_key_file, parse_keys
from jointinspect.models.districts import district_of
from jointinspect.models.errors import JointInspectError
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.risk.config import GradingConfig, load_config
from jointinspect.scheduler.params import SchedulerParams


class GradingConfigFileError(JointInspectError):
    """The user's grading configuration file cannot be read."""


@dataclasses.dataclass(frozen=True)
class Options:
    """What a coordinator may configure for the workflows; every value has a default."""

    #: The code keys' file; default: beside a SQLite database (``ji.db`` → ``ji.key``),
    #: else ``config_dir/<host>-<port>-<database>.key`` — never the working folder, so
    #: a command run from another folder finds the database's own key. A district of a
    #: city's database has its own, named after it (``ji.310120.key``,
    #: ``…-<database>-310120.key``); a ``key_file`` set here is one district's.
    key_file: Path | None = None
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
    #: Plan ids are PREFIX-YYYYQn; a district of a city's database has its own.
    district_prefix: str = "FX"
    verify_base_url: str | None = None  # QR codes hold {verify_base_url}/v/CODE
    config_dir: Path | None = None  # default: ~/.config/jointinspect
    #: CPUs planning and replanning may keep busy (``SchedulerParams.cpus``; the same plan
    #: whatever the number). The command line gives the machine's; a city's Ray task, its
    #: own one.
    cpus: int = 1


def working_calendar(options: Options) -> WorkingCalendar:
    """The official calendar with the district's override file, when one is set."""
    if options.calendar_file is None:
        return WorkingCalendar()
    return load_calendar(options.calendar_file)


def key_file_for(options: Options, engine: Engine) -> Path:
    """Where the code keys of ``engine``'s database are: ``key_file`` when set, else
    beside a SQLite file, else in the configuration folder under the server's name."""
    if options.key_file is not None:
        return options.key_file
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            database = Path(url.database)
            return database.with_name(database.stem + ".key")
        return Path("jointinspect.key")
    folder = options.config_dir or Path.home() / ".config" / "jointinspect"
    parts = [url.host or "local", url.port or "", url.database]
    district = district_of(engine)
    if district is not None:
        parts.append(district.code)
    name = "-".join(str(part) for part in parts)
    return folder / (re.sub(r"[^A-Za-z0-9._-]+", "_", name) + ".key")


def load_keys(options: Options, engine: Engine) -> KeyRing:
    """The code keys of ``engine``'s database (from ``key`` when given, else its key file),
    checked against the fingerprints the database holds; keys it has not seen yet are
    registered. Raises ``KeyMismatchError`` for a key that is not the database's. A
    district's keys make codes that name it (``CodeKey.district``)."""
    ring, origin = configured_keys(options, engine)
    district = district_of(engine)
    if district is not None:
        ring = ring.of_district(district.code)
    bind_keys(engine, ring, origin=origin)
    return ring


def configured_keys(options: Options, engine: Engine) -> tuple[KeyRing, str]:
    """The keys configured for ``engine``'s database, unchecked, and where they came from."""
    if options.key is not None:
        return parse_keys(options.key, origin=options.key_origin), options.key_origin
    path = key_file_for(options, engine)
    return load_key_file(path), f"the key file {path}"


def inbox_for(options: Options, engine: Engine) -> Path | None:
    """Where ``engine``'s replans take bundles from (None: no inbox): ``inbox_dir``, or for
    a district of a city's database its own folder in it, named by its area code
    (``inbox/310120``): each district's departments drop their bundles there, and no
    district takes in another's (as each has its own key and endpoints files)."""
    if options.inbox_dir is None:
        return None
    district = district_of(engine)
    return options.inbox_dir if district is None else options.inbox_dir / district.code


def plan_prefix(options: Options, engine: Engine) -> str:
    """The prefix of plan ids in ``engine``'s database: its district's, else the option."""
    district = district_of(engine)
    return options.district_prefix if district is None else district.prefix


def scheduler_params(options: Options) -> SchedulerParams:
    """The shipped scheduler parameters, overridden by ``scheduler_file`` when set."""
    if options.scheduler_file:
        params = SchedulerParams.from_toml(options.scheduler_file)
    else:
        params = SchedulerParams.default()
    return dataclasses.replace(params, cpus=options.cpus)


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


class SecondKeyError(JointInspectError):
    """``init`` would make a new key for a database that has one."""


@dataclass(frozen=True)
class KeySetup:
    path: Path | None  # None when the keys come from the ``key`` setting
    created: bool
    key_ids: tuple[str, ...]


def init_keys(options: Options, engine: Engine) -> KeySetup:
    """``init``'s part for keys: make the database's key file when it has no key yet,
    else check the one found. Never a second key for a database that has one."""
    if options.key is not None:
        ring = load_keys(options, engine)
        return KeySetup(None, False, tuple(k.id for k in ring.keys))
    path = key_file_for(options, engine)
    created = False
    if not path.exists():
        with engine.connect() as conn:
            known = registered_keys(conn)
        if known:
            ids = ", ".join(sorted(known))
            raise SecondKeyError(
                f"this database already has code key {ids}, and {path} does not exist; "
                "init makes no second key, which would call the database's codes forged",
                hint=f"put the database's key file at {path}, or point JOINTINSPECT_KEY_FILE at it",
            )
        created = create_key_file(path)
    ring = load_keys(options, engine)
    return KeySetup(path, created, tuple(k.id for k in ring.keys))


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
