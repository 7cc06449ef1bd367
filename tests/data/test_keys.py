"""The key file: format, rotation order, permissions, and the key given by setting."""

import os
from pathlib import Path

import pytest

from jointinspect.data.codes.keys import (
    KeyFileMissingError,
    KeyFormatError,
    UnsafeKeyFileError,
    load_key_file,
    parse_keys,
)
from jointinspect.options import create_key_file


def test_init_key_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "jointinspect.key"
    assert create_key_file(path)
    ring = load_key_file(path)
    assert ring.current.id == "k1" and len(ring.current.secret) == 32


def test_first_line_is_current_and_old_keys_stay(tmp_path: Path) -> None:
    text = f"# rotated\nk2:{'ab' * 32}\n\nk1:{'cd' * 32}\n"
    ring = parse_keys(text)
    assert [k.id for k in ring.keys] == ["k2", "k1"]
    assert ring.current.id == "k2"
    assert ring.by_id("k1") is not None and ring.by_id("k9") is None
    assert [k.id for k in parse_keys(f"k2:{'ab' * 32};k1:{'cd' * 32}").keys] == ["k2", "k1"]


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "holds no key"),
        ("nocolon", "entry 1 is not KEYID:HEX"),
        ("k1:zz", "not hexadecimal"),
        ("k1:abcd", "has 2 bytes, at least 16"),
        (f"k1:{'ab' * 16}\nk1:{'cd' * 16}", "used twice"),
    ],
)
def test_bad_keys_are_refused(text: str, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        parse_keys(text)


def test_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    path.write_text(f"k1:{'ab' * 32}\n")
    os.chmod(path, 0o644)
    with pytest.raises(UnsafeKeyFileError, match="can be read by other users") as info:
        load_key_file(path)
    assert info.value.hint == f"chmod 600 {path}"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileMissingError, match="does not exist"):
        load_key_file(tmp_path / "none.key")
