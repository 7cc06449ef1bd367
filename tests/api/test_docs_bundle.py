"""The documentation is enough to work from: a newcomer who copies the worked example of
docs/bundle.md gets a bundle that imports with the library API, every file and column of
the bundle is described there, and the other pages' examples (plan JSON, inspection code,
endpoints.toml) are read by the code they describe."""

import re
import tomllib
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from jointinspect.data.bundle.spec import FILES, FILES_BY_NAME, OneOf
from jointinspect.data.plans.document import parse_plan_document, to_contract
from jointinspect.exporting import load_endpoint_specs
from jointinspect.importing import BundleInvalid, import_bundle
from jointinspect.models.codes import parse_code

DOCS = Path(__file__).resolve().parents[2] / "docs"
#: A fenced block with a language and a label: ```csv departments.csv
BLOCK = re.compile(r"^```(\w+) ([^\n`]+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
#: Files that name inspection codes, which only a filed plan issues.
LATER = ("outcomes.csv", "feedback.csv")


def _blocks(page: str, language: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for lang, label, body in BLOCK.findall((DOCS / page).read_text(encoding="utf-8")):
        if lang == language:
            assert label.strip() not in found, f"two {language} blocks labelled {label}"
            found[label.strip()] = body
    return found


def _write_bundle(folder: Path, names: list[str]) -> Path:
    blocks = _blocks("bundle.md", "csv")
    folder.mkdir()
    for name in names:
        (folder / name).write_text(blocks[name], encoding="utf-8")
    return folder


def _section(name: str) -> str:
    text = (DOCS / "bundle.md").read_text(encoding="utf-8")
    start = text.index(f"### {name}")
    end = text.find("\n## ", start)
    following = text.find("\n### ", start + 1)
    ends = [e for e in (end, following) if e != -1]
    return text[start : min(ends) if ends else len(text)]


def test_every_file_has_an_example() -> None:
    assert set(_blocks("bundle.md", "csv")) == set(FILES_BY_NAME)


@pytest.mark.parametrize("name", [spec.name for spec in FILES])
def test_every_column_and_value_is_described(name: str) -> None:
    file = FILES_BY_NAME[name]
    section = _section(file.name)
    for column in file.columns:
        bold = f"**{column.name}**"
        if column.required:
            assert bold in section, f"{file.name}: required {column.name} is not in bold"
        else:
            assert bold not in section and re.search(rf"\b{column.name}\b", section), (
                f"{file.name}: optional {column.name} is not described (or is in bold)"
            )
        if isinstance(column.parse, OneOf):
            for value in column.parse.allowed:
                assert f"`{value}`" in section, f"{file.name}: {column.name} value {value}"
    example = _blocks("bundle.md", "csv")[file.name].splitlines()[0].split(",")
    assert sorted(example) == sorted(file.column_names), f"{file.name}: example's columns"


def test_the_example_imports_with_the_library_api(tmp_path: Path, sqlite_engine: Engine) -> None:
    names = [spec.name for spec in FILES if spec.name not in LATER]
    bundle = _write_bundle(tmp_path / "bundle", names)
    report = import_bundle(bundle, engine=sqlite_engine)
    blocks = _blocks("bundle.md", "csv")
    assert {s.file: s.rows for s in report.files} == {
        name: len(blocks[name].strip().splitlines()) - 1 for name in names
    }
    assert [(w.file, w.column) for w in report.warnings] == [("credit_events.csv", "department")]
    assert "'税务局'" in report.warnings[0].message
    again = import_bundle(bundle, engine=sqlite_engine)  # idempotent, as the page says
    assert sum(s.inserted for s in again.files) == 0


def test_outcomes_of_the_example_need_a_filed_plan(tmp_path: Path, sqlite_engine: Engine) -> None:
    bundle = _write_bundle(tmp_path / "bundle", [spec.name for spec in FILES])
    with pytest.raises(BundleInvalid) as invalid:
        import_bundle(bundle, engine=sqlite_engine)
    problems = invalid.value.problems
    assert {(p.file, p.column) for p in problems} == {(f, "code") for f in LATER}
    outcome = next(p for p in problems if p.file == "outcomes.csv")
    assert str(outcome) == _blocks_text_after("outcomes.csv")


def _blocks_text_after(label: str) -> str:
    """The ```text block the page shows after the block labelled ``label``."""
    text = (DOCS / "bundle.md").read_text(encoding="utf-8")
    start = text.index(f"```csv {label}")
    block = re.compile(r"^```text\n(.*?)^```$", re.MULTILINE | re.DOTALL).search(text, start)
    assert block is not None
    return block.group(1).strip()


# --- the other pages' examples --------------------------------------------------------------


def test_the_plan_json_example_is_a_plan_document() -> None:
    blocks = _blocks("plan-json.md", "json")
    doc = parse_plan_document(blocks["plan.json"])
    assert to_contract(doc)["visits"][0]["code"] == doc.visits[0].code
    for visit in doc.visits:
        parse_code(visit.code or "")  # the example's codes are well formed


@pytest.mark.parametrize("page", ["codes.md", "city.md"])
def test_the_code_examples_are_well_formed(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    # A district's code has a group of four in front (city.md).
    codes = re.findall(r"\b(?:[0-9A-Z]{4}-)?[0-9A-Z]{5}(?:-[0-9A-Z]{5}){3}\b", text)
    assert len(codes) >= (2 if page == "codes.md" else 1)
    for code in codes:
        parse_code(code)


def test_the_endpoints_example_loads(tmp_path: Path) -> None:
    blocks = _blocks("push.md", "toml")
    path = tmp_path / "endpoints.toml"
    path.write_text(blocks["endpoints.toml"], encoding="utf-8")
    specs = load_endpoint_specs(path)
    data = tomllib.loads(blocks["endpoints.toml"])
    assert [s.department for s in specs] == sorted(data["departments"])


def test_the_index_links_every_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.name for p in DOCS.glob("*.md") if p.name != "README.md")
    for page in pages:
        assert f"]({page})" in index, f"docs/README.md does not link {page}"
    for target in re.findall(r"\]\(([^)#]+\.md)", index):
        assert (DOCS / target).exists(), f"docs/README.md links a missing {target}"
