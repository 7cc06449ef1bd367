"""Settings, read once at the edge (environment variables ``JOINTINSPECT_*`` and flags).

Nothing below ``cli/`` reads the environment: values are passed down explicitly.
``serve`` defines its settings on these, so this module is imported for ``serve --help``
too: the database's default and the workflows' options load when settings are read.
"""

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from jointinspect.models.errors import JointInspectError

if TYPE_CHECKING:
    from jointinspect.options import Options


def _default_db() -> str:
    # The default lives with the engine helpers, which load SQLAlchemy and the tables.
    from jointinspect.models import DEFAULT_DB_URL

    return DEFAULT_DB_URL


class Settings(BaseSettings):
    """Everything a coordinator may configure; each has a sensible default."""

    model_config = SettingsConfigDict(env_prefix="JOINTINSPECT_", extra="ignore")

    db: str = Field(default_factory=_default_db, description="database URL")
    key_file: Path | None = Field(
        default=None,
        description="the code keys' file (default: beside a SQLite database, ji.db → ji.key; "
        "for a server database, CONFIG_DIR/HOST-PORT-DATABASE.key)",
    )
    config_dir: Path | None = Field(
        default=None, description="where server databases' key files live (~/.config/jointinspect)"
    )
    calendar_file: Path | None = Field(
        default=None, description="TOML with extra holidays / make-up working days"
    )
    grading_file: Path | None = Field(
        default=None, description="TOML overriding the shipped grading weights"
    )
    trigger_response_days: int = Field(default=10, ge=1, le=60)
    pin_working_days: int = Field(default=2, ge=0, le=20)
    inbox_dir: Path | None = Field(
        default=None,
        description="replan: bundle folders dropped here are imported first (a city's "
        "database: each district's in its own folder here, named by its area code)",
    )
    replan_cron: str = Field(
        default="0 2 * * *", description="daemon: when to replan (crontab, replan_timezone)"
    )
    replan_timezone: str = Field(default="Asia/Shanghai", description="daemon: cron's zone")
    replan_interval_seconds: float | None = Field(
        default=None, gt=0, description="daemon: replan every N seconds instead (tests, demos)"
    )
    replan_misfire_grace_seconds: int = Field(
        default=3600, ge=1, description="daemon: a run missed by at most this much still runs"
    )
    lock_timeout: float = Field(
        default=60.0,
        ge=0,
        description="plan, file, replan, discard: seconds to wait for another of them to finish",
    )
    replan_as_of: dt.date | None = Field(
        default=None, description="daemon: replan as if today were this date (rehearsals, tests)"
    )
    daemon_export_dir: Path | None = Field(
        default=None, description="daemon: write each new revision's JSON export here"
    )
    district_prefix: str = Field(default="FX", description="plan ids are PREFIX-YYYYQn")
    key: SecretStr | None = Field(
        default=None, description="code keys as KEYID:HEX[;KEYID:HEX…] instead of key_file"
    )
    verify_base_url: str | None = Field(
        default=None, description="QR codes hold {verify_base_url}/v/CODE instead of the code"
    )
    endpoints_file: Path = Field(
        default=Path("endpoints.toml"),
        description="department push endpoints (TOML); a city's district reads its own "
        "beside it (endpoints.310120.toml) unless this is set",
    )
    scheduler_file: Path | None = Field(
        default=None, description="TOML overriding the shipped scheduler parameters (caps, budget)"
    )
    web_rate_limit: str = Field(
        default="30/minute",
        description="serve: code look-ups per client, like 30/minute; 'off' only for benchmarks",
    )
    web_secret: SecretStr | None = Field(
        default=None,
        description="serve: CSRF signing secret shared by several workers (default: random)",
    )
    cpus: int | None = Field(
        default=None,
        ge=1,
        description="plan, replan: CPUs the search may keep busy, the same plan whatever the "
        "number (default: OMP_NUM_THREADS when set, else the CPUs this process may run on)",
    )

    def options(self) -> "Options":
        """The workflows' options from these settings (the library reads no environment)."""
        from jointinspect.options import Options

        return Options(
            key_file=self.key_file,
            config_dir=self.config_dir,
            key=self.key.get_secret_value() if self.key is not None else None,
            calendar_file=self.calendar_file,
            grading_file=self.grading_file,
            scheduler_file=self.scheduler_file,
            trigger_response_days=self.trigger_response_days,
            pin_working_days=self.pin_working_days,
            inbox_dir=self.inbox_dir,
            lock_timeout=self.lock_timeout,
            daemon_export_dir=self.daemon_export_dir,
            district_prefix=self.district_prefix,
            verify_base_url=self.verify_base_url,
            cpus=self.cpus or available_cpus(),
        )


def available_cpus() -> int:
    """The CPUs a command may keep busy: ``OMP_NUM_THREADS`` when set (the usual limit on
    a process's compute threads), else the CPUs this process may run on."""
    limit = os.environ.get("OMP_NUM_THREADS", "").strip()
    if limit.isdigit() and int(limit) >= 1:
        return int(limit)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class SettingsError(JointInspectError):
    """A setting (environment variable or flag) has a value it cannot take."""


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit flag values taking precedence."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "?"
        where = "--" + name.replace("_", "-") if name in given else f"JOINTINSPECT_{name.upper()}"
        raise SettingsError(
            f"{where}: {first['msg']} (got {first.get('input')!r})",
            hint="see docs/settings.md for every setting, its type and default",
        ) from None
