"""Tables of a risk model's out-of-time validation, shared by ``calibrate`` and
``grade --evaluate``."""

from typing import Any

from rich.console import Console
from rich.table import Table


def figure(value: Any, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def print_validation(validation: dict[str, Any], console: Console) -> None:
    """The out-of-time validation (``dataclasses.asdict`` of ``risk.calibration.Validation``,
    as stored with the model) as tables: the learned model, the default, history alone."""
    models = [validation["learned"], validation["default"], validation["history"]]
    names = ["learned", "default", "history alone"]
    table = Table(
        "",
        *names,
        title=f"Out-of-time validation: fitted on inspections up to {validation['cutoff']}, "
        f"scored on the {models[0]['inspections']:,} after it (to {validation['as_of']})",
        caption="learned: the model calibrate fits; default: the shipped weights; "
        "history alone: each enterprise's violation rate",
    )
    table.add_row("AUC", *(figure(m["auc"], ".3f") for m in models))
    table.add_row("average precision", *(figure(m["average_precision"], ".3f") for m in models))
    table.add_row("Brier score", *(figure(m["brier"], ".4f") for m in models))
    for k, (share, _) in enumerate(models[0]["lift"]):
        table.add_row(f"lift, riskiest {share:.0%}", *(f"{m['lift'][k][1]:.2f}×" for m in models))
    for g, row in enumerate(models[0]["per_grade"]):
        cells = []
        for m in models:
            if not m["per_grade"]:
                cells.append("–")
                continue
            grade = m["per_grade"][g]
            n, bad = grade["inspections"], grade["violations"]
            cells.append(f"{bad / n:.1%} of {n:,}" if n else "–")
        table.add_row(f"grade {row['grade']}: violations", *cells)
    console.print(table)
    calib = Table(
        "decile",
        "learned: predicted",
        "observed",
        "default: predicted",
        "observed",
        title="Calibration (held-out inspections by decile of predicted probability)",
    )
    learned, default = models[0]["calibration"], models[1]["calibration"]
    for k in range(max(len(learned), len(default))):
        cells = []
        for bins in (learned, default):
            cells += (
                [f"{bins[k]['predicted']:.3f}", f"{bins[k]['observed']:.3f}"]
                if k < len(bins)
                else ["–", "–"]
            )
        calib.add_row(str(k + 1), *cells)
    console.print(calib)
