"""Code keys bound to their database (issue 13, defect 1): a key that is not the
database's is an error naming both fingerprints, never a reason to call genuine codes
forged; a retired key is named as such."""

from pathlib import Path

from helpers.web_world import KEY, build_world

from jointinspect.data.codes.keys import KeyRing
from jointinspect.data.codes.verification import verify_code
from jointinspect.models.codes import CodeKey, key_fingerprint

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
