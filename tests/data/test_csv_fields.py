"""The grades CSV is assembled field by field (``data.exports.csv_fields``); it must be
byte for byte what ``csv.writer`` writes for the same cells, whatever the text holds."""

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jointinspect.data.exports.csv_fields import EXCEL, CsvQuoting, UnsupportedDialectError
from jointinspect.data.exports.files import safe_text
from jointinspect.grading import (
    CSV_HEADER,
    LANGUAGE_SEPARATOR,
    P_DECIMALS,
    REASON_SEPARATOR,
    GradesCsv,
)
from jointinspect.risk.config import GRADES
from jointinspect.risk.reasons import ReasonCells

#: Text with every character the quoting or the spreadsheet guard looks at, often.
TRICKY = st.text(
    alphabet=st.sampled_from(list(",\"\r\n\t=+-@' ;/ab中文，")), min_size=0, max_size=12
)


def _by_csv_writer(table: GradesCsv) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    texts = [f"{zh}{LANGUAGE_SEPARATOR}{en}" for zh, en in table.reasons.words]
    bounds, rows = table.reasons.bounds, table.reasons.text_of_row
    d = table.score_decimals
    for i, uscc in enumerate(table.uscc.tolist()):
        cell = REASON_SEPARATOR.join(texts[j] for j in rows[bounds[i] : bounds[i + 1]])
        writer.writerow(
            [
                safe_text(uscc),
                f"{table.credit[i]:.{d}f}",
                f"{table.risk[i]:.{d}f}",
                GRADES[int(table.grade[i])],
                f"{table.p_violation[i]:.{P_DECIMALS}f}",
                safe_text(cell),
            ]
        )
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


@st.composite
def tables(draw: st.DrawFn) -> GradesCsv:
    words = draw(st.lists(st.tuples(TRICKY, TRICKY), min_size=1, max_size=6))
    counts = draw(st.lists(st.integers(0, 4), min_size=1, max_size=8))
    n = len(counts)
    text_of_row = draw(
        st.lists(st.integers(0, len(words) - 1), min_size=sum(counts), max_size=sum(counts))
    )
    usccs = draw(st.lists(TRICKY, min_size=n, max_size=n))
    scores = st.floats(0, 100, allow_nan=False)
    return GradesCsv(
        uscc=np.array(usccs, dtype=str),
        credit=np.array(draw(st.lists(scores, min_size=n, max_size=n))),
        risk=np.array(draw(st.lists(scores, min_size=n, max_size=n))),
        grade=np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))),
        p_violation=np.array(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))),
        score_decimals=draw(st.integers(0, 3)),
        reasons=ReasonCells(
            words=words,
            text_of_row=np.array(text_of_row, dtype=np.int64),
            bounds=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        ),
    )


@settings(max_examples=300, deadline=None)
@given(table=tables())
def test_the_assembled_csv_is_what_csv_writer_writes(
    table: GradesCsv, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("csv") / "grades.csv"
    table.write(path)
    assert path.read_bytes() == _by_csv_writer(table)


@given(text=TRICKY)
def test_a_field_is_quoted_and_escaped_as_csv_writer_does(text: str) -> None:
    out = io.StringIO(newline="")
    csv.writer(out).writerow([text, "x"])
    assert out.getvalue() == f"{EXCEL.field(text)},x\r\n"


def test_a_dialect_that_escapes_instead_of_doubling_is_refused() -> None:
    class Escaping(csv.excel):
        doublequote = False
        escapechar = "\\"

    with pytest.raises(UnsupportedDialectError):
        CsvQuoting.of(Escaping)


def test_an_empty_district_writes_the_header_alone(tmp_path: Path) -> None:
    empty = GradesCsv(
        uscc=np.array([], dtype=str),
        credit=np.zeros(0),
        risk=np.zeros(0),
        grade=np.zeros(0, dtype=np.int64),
        p_violation=np.zeros(0),
        score_decimals=1,
        reasons=ReasonCells(
            words=[], text_of_row=np.zeros(0, np.int64), bounds=np.zeros(1, np.int64)
        ),
    )
    empty.write(tmp_path / "g.csv")
    assert (tmp_path / "g.csv").read_bytes() == _by_csv_writer(empty)
