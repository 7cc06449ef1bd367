"""End to end: ``jointinspect serve`` in its own process, the page opened in headless
Debian chromium at phone size (390 × 844), screenshot and DOM checked."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.headless_chromium import HEADLESS_FLAGS
from helpers.plan_factory import ENTERPRISES, USCC
from helpers.web_world import KEY_SETTING, WebWorld, build_world
from PIL import Image

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian chromium is not installed (.ci/run installs it)"
    ),
]
PHONE = (390, 844)
#: The verdict banners' colours in verify.css: seeing them proves the stylesheet loaded
#: under the CSP and the page is not a blank or unstyled render.
GREEN = (0x13, 0x73, 0x33)
RED = (0xB9, 0x1C, 0x1C)
STARTUP_SECONDS = 30
BROWSER_SECONDS = 120


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebWorld, str]]:
    folder = tmp_path_factory.mktemp("serve")
    world = build_world(f"sqlite:///{folder / 'web.db'}")
    port = _free_port()
    env = os.environ | {"JOINTINSPECT_DB": world.url, "JOINTINSPECT_KEY": KEY_SETTING}
    command = [sys.executable, "-c", "from jointinspect.cli.app import main; main()"]
    log = (folder / "serve.log").open("w")
    proc = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert proc.poll() is None, (folder / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/static/verify.css", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not answer in time"
            time.sleep(0.2)  # polling for readiness, not timing anything
        yield world, base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _chromium(args: list[str], url: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            *HEADLESS_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={PHONE[0]},{PHONE[1]}",
            *args,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=BROWSER_SECONDS,
        check=False,
    )


def _share_of(image: Image.Image, colour: tuple[int, int, int]) -> float:
    rgb = image.convert("RGB")
    counts = rgb.getcolors(maxcolors=PHONE[0] * PHONE[1]) or []
    near = sum(n for n, c in counts if max(abs(a - b) for a, b in zip(c, colour, strict=True)) <= 8)
    return near / (rgb.width * rgb.height)


def _screenshot(url: str, tmp_path: Path) -> Image.Image:
    shot = tmp_path / "page.png"
    result = _chromium([f"--screenshot={shot}"], url, tmp_path / "profile")
    assert shot.exists(), result.stderr[-2000:]
    image = Image.open(shot)
    image.load()
    assert image.size == PHONE
    assert len(image.convert("RGB").getcolors(maxcolors=PHONE[0] * PHONE[1]) or []) > 1
    return image


def _dom(url: str, tmp_path: Path) -> str:
    result = _chromium(["--dump-dom"], url, tmp_path / "profile-dom")
    assert "<html" in result.stdout, result.stderr[-2000:]
    return result.stdout


def test_valid_code_on_a_phone(served: tuple[WebWorld, str], tmp_path: Path) -> None:
    world, base = served
    url = f"{base}/v/{world.valid}"
    image = _screenshot(url, tmp_path)
    assert _share_of(image, GREEN) > 0.02  # the green "valid" banner is on screen
    dom = _dom(url, tmp_path)
    assert 'data-status="valid"' in dom
    assert ENTERPRISES[USCC[0]][0] in dom
    for officer in ("张伟", "王芳", "李强", "刘洋", "沪执SCJ-017", "沪执XF-008"):
        assert officer in dom


def test_forged_code_on_a_phone(served: tuple[WebWorld, str], tmp_path: Path) -> None:
    world, base = served
    url = f"{base}/v/{world.forged}"
    image = _screenshot(url, tmp_path)
    assert _share_of(image, RED) > 0.02  # the red warning is on screen
    assert _share_of(image, GREEN) == 0
    dom = _dom(url, tmp_path)
    assert 'data-status="forged"' in dom and "疑似伪造" in dom and "请勿配合检查" in dom
    assert ENTERPRISES[USCC[0]][0] not in dom and 'id="officers"' not in dom
