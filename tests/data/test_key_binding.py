"""Code keys bound to their database (issue 13, defect 1): a key that is not the
database's is an error naming both fingerprints, never a reason to call genuine codes
forged; a retired key is named as such."""

import stat
from pathlib import Path

import pytest
from helpers.web_world import KEY, RING, STRANGER, build_world
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.data.codes.key_registry import KeyMismatchError, bind_keys, registered_keys
from jointinspect.data.codes.keys import KeyRing
from jointinspect.data.codes.verification import verify_code
from jointinspect.models.codes import CodeKey, key_fingerprint
from jointinspect.options import Options, load_keys
from jointinspect.web.app import verdict_text
from jointinspect.web.text import TEXT

runner = CliRunner()

K2 = CodeKey("k2", bytes.fromhex("3c" * 32))


def test_fingerprints_name_secrets_not_ids() -> None:
    same_secret = CodeKey("k9", KEY.secret)
    assert key_fingerprint(same_secret) == key_fingerprint(KEY)
    assert key_fingerprint(K2) != key_fingerprint(KEY)
    assert KEY.secret.hex() not in key_fingerprint(KEY)


def test_a_code_of_a_retired_key_is_not_called_forged(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        result = verify_code(world.valid, engine=world.engine, keys=KeyRing((K2,)))
        assert result.status == "unknown"
        assert "issued under retired key k1" in result.message
        stranger = verify_code(world.forged, engine=world.engine, keys=KeyRing((K2,)))
        assert stranger.status == "forged"  # not on record: nothing says which key
    finally:
        world.engine.dispose()


def _init(tmp_path: Path, env: dict[str, str]) -> None:
    result = runner.invoke(app, ["init"], env=env)
    assert result.exit_code == 0, result.output


def test_init_puts_the_key_beside_the_database_and_verify_finds_it_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "district"
    folder.mkdir()
    env = {"JOINTINSPECT_DB": f"sqlite:///{folder / 'ji.db'}"}
    _init(tmp_path, env)
    assert (folder / "ji.key").is_file() and not (tmp_path / "jointinspect.key").exists()
    assert stat.S_IMODE((folder / "ji.db").stat().st_mode) == 0o600
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(app, ["verify", "7KX3M-QW9RT-2HC8N-VB5ZJ"], env=env)
    # Found its key (else: exit 1 and an error): the code is only judged.
    assert result.exit_code in (3, 4, 5) and result.stderr == "", result.output


def test_another_districts_key_is_an_error_not_forged_codes(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 'w.db'}")
    world.engine.dispose()
    own = tmp_path / "own.key"
    own.write_text(f"k1:{KEY.secret.hex()}\n")
    own.chmod(0o600)
    env = {"JOINTINSPECT_DB": world.url, "JOINTINSPECT_KEY_FILE": str(own)}
    assert runner.invoke(app, ["verify", world.valid], env=env).exit_code == 0  # binds k1
    other = tmp_path / "other.key"
    other.write_text(f"k1:{STRANGER.secret.hex()}\n")
    other.chmod(0o600)
    result = runner.invoke(
        app, ["verify", world.valid], env={**env, "JOINTINSPECT_KEY_FILE": str(other)}
    )
    assert result.exit_code == 1
    assert f"Error: the key file {other} is not the key of this database" in result.stderr
    assert key_fingerprint(STRANGER)[:12] in result.stderr
    assert key_fingerprint(KEY)[:12] in result.stderr
    assert "forged" not in result.output


def test_a_database_from_before_registration_is_checked_against_its_codes(
    tmp_path: Path,
) -> None:
    world = build_world(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with pytest.raises(KeyMismatchError, match="did not make the codes"):
            bind_keys(world.engine, KeyRing((STRANGER,)), origin="the key file x")
        binding = bind_keys(world.engine, RING, origin="the key file y")
        assert binding.registered == ("k1",)
        rotated = bind_keys(world.engine, KeyRing((K2, KEY)), origin="the key file z")
        assert rotated.registered == ("k2",) and rotated.retired == ()
        assert bind_keys(world.engine, KeyRing((K2,)), origin="z").retired == ("k1",)
        with world.engine.connect() as conn:
            assert registered_keys(conn) == {
                "k1": key_fingerprint(KEY),
                "k2": key_fingerprint(K2),
            }
    finally:
        world.engine.dispose()


def test_init_makes_no_second_key_for_a_database_that_has_one(tmp_path: Path) -> None:
    env = {"JOINTINSPECT_DB": f"sqlite:///{tmp_path / 'ji.db'}"}
    _init(tmp_path, env)
    (tmp_path / "ji.key").rename(tmp_path / "moved.key")
    result = runner.invoke(app, ["init"], env=env)
    assert result.exit_code == 1
    assert "this database already has code key k1" in result.stderr
    assert "init makes no second key" in result.stderr
    assert not (tmp_path / "ji.key").exists()
    moved = {**env, "JOINTINSPECT_KEY_FILE": str(tmp_path / "moved.key")}
    again = runner.invoke(app, ["init"], env=moved)
    assert again.exit_code == 0 and "kept (already there)" in again.output


def test_filing_with_the_wrong_key_files_nothing(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        bind_keys(world.engine, RING, origin="the key file of init")
        other = tmp_path / "other.key"
        other.write_text(f"k1:{STRANGER.secret.hex()}\n")
        other.chmod(0o600)
        options = Options(key_file=other)
        with pytest.raises(KeyMismatchError, match="is not the key of this database"):
            load_keys(options, world.engine)
    finally:
        world.engine.dispose()


def test_the_phone_page_says_retired_not_unknown(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        result = verify_code(world.valid, engine=world.engine, keys=KeyRing((K2,)))
    finally:
        world.engine.dispose()
    assert verdict_text(result) == "retired"
    for language in TEXT.values():
        assert "retired" in language["retired_head"].lower() or "停用" in language["retired_head"]
