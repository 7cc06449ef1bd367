"""Fixtures of the API tests: the filed replan world (1,000 enterprises, 2025Q4), built once
per session on SQLite and copied for each test that plans, files or replans on it."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.replan_world import World, build_filed_world, copy_world
from sqlalchemy.engine import Engine

from jointinspect.models import make_engine


@pytest.fixture(scope="session")
def filed_template(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("replan-world")
    return build_filed_world(folder, f"sqlite:///{folder / 'base.db'}")


@pytest.fixture
def filed_world(filed_template: World, tmp_path: Path) -> World:
    """A fresh copy of the filed world, its district (inbox) in the test's folder."""
    return copy_world(filed_template, tmp_path, district=tmp_path)


@pytest.fixture
def filed_engine(filed_world: World) -> Iterator[Engine]:
    engine = make_engine(filed_world.url)
    yield engine
    engine.dispose()
