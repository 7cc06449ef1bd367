"""A bad setting is a one-line error naming its environment variable, not a traceback."""

from typer.testing import CliRunner

from jointinspect.cli.app import app


def test_a_bad_environment_value_names_its_variable() -> None:
    result = CliRunner().invoke(
        app,
        ["plan", "--quarter", "2025Q3", "--seed", "x"],
        env={"JOINTINSPECT_PIN_WORKING_DAYS": "abc"},
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: JOINTINSPECT_PIN_WORKING_DAYS: ")
    assert "Traceback" not in result.output
