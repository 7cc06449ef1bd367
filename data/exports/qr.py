"""``export --format qr``: one QR code image (PNG or SVG) per visit, holding the inspection
code or a verification URL ``{base_url}/v/{code}`` that the enterprise can scan. An SVG's
description names the plan and revision; a PNG holds only the image."""

import re
from pathlib import Path

import segno

from jointinspect.data.exports.files import prepare_folder, written_whole
from jointinspect.data.plans.document import PlanDocument
from jointinspect.models.errors import JointInspectError

QR_KINDS = ("png", "svg")
#: Pixels per QR module in PNG output; large enough to print on an A4 notice.
PNG_SCALE = 8
#: Medium error correction survives a crease or a smudge on a printed notice.
ERROR_LEVEL = "m"


class NoCodesError(JointInspectError):
    """QR codes were asked for a plan that has no inspection codes yet (not filed)."""


class VerifyUrlError(JointInspectError):
    """The verification base URL is not an http(s) URL."""


def checked_base_url(base_url: str) -> str:
    """``base_url`` without its trailing slash, once known to be an http(s) URL."""
    if not re.match(r"^https?://[^\s/]+", base_url):
        raise VerifyUrlError(
            f"the verification URL {base_url!r} is not an http(s) URL",
            hint="give --base-url (or JOINTINSPECT_VERIFY_BASE_URL) like https://jc.fengxian.gov.cn",
        )
    return base_url.rstrip("/")


def qr_payload(code: str, base_url: str | None) -> str:
    """What the QR code holds: the code itself, or the URL that verifies it."""
    if base_url is None:
        return code
    return f"{checked_base_url(base_url)}/v/{code}"


def write_qr(
    doc: PlanDocument, out_dir: Path, *, base_url: str | None = None, kind: str = "png"
) -> list[Path]:
    """Write ``CODE.png`` (or ``.svg``) for every visit of ``doc`` into ``out_dir``, each whole."""
    if kind not in QR_KINDS:
        raise ValueError(f"QR image kind must be one of {QR_KINDS}, not {kind!r}")
    if doc.visits and not all(v.code for v in doc.visits):
        raise NoCodesError(
            f"revision {doc.revision} of {doc.quarter} is a {doc.status}: its visits have no "
            "inspection codes yet",
            hint=f"file it first with `jointinspect file --quarter {doc.quarter}`",
        )
    if base_url is not None:
        checked_base_url(base_url)  # refused before any file is written
    prepare_folder(out_dir)
    about = f"{doc.plan_id} r{doc.revision} ({doc.status})"
    written = []
    for v in doc.visits:
        assert v.code is not None
        qr = segno.make(qr_payload(v.code, base_url), error=ERROR_LEVEL)
        path = out_dir / f"{v.code}.{kind}"
        # The temporary name has no image extension, so the kind is given, not guessed.
        with written_whole(path, kind) as temp:
            if kind == "png":
                qr.save(str(temp), kind="png", scale=PNG_SCALE)
            else:
                qr.save(str(temp), kind="svg", scale=PNG_SCALE, title=v.code, desc=about)
        written.append(path)
    return written
