"""`neural tui` on the command line: registration, clear errors, lazy imports."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from runner.cli import main


def test_registered_with_its_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["tui", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--base-dir" in out and "--storage" in out


def test_missing_textual_names_the_install_command(monkeypatch, capsys, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr("runner.cli.tui.importlib.util.find_spec",
                        lambda name, *a: None if name == "textual" else real(name, *a))
    assert main(["tui", "--base-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Textual" in err and "pip install -e '.[tui]'" in err


@pytest.mark.parametrize("args, message", [
    (["--base-dir", "{file}"], "not a folder"),
    (["--storage", "{tmp}/missing.log"], "no such journal file"),
    (["--storage", "sqlite:///{tmp}/missing.db"], "no such database file"),
    (["--interval", "0"], "--interval must be positive"),
])
def test_bad_arguments_are_one_line_errors(args, message, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("")
    args = [a.format(file=afile, tmp=tmp_path) for a in args]
    assert main(["tui", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("neural: error:") and message in err and "Traceback" not in err


def test_cli_import_stays_light():
    code = ("import sys, runner.cli; runner.cli.build_parser(); "
            "print(sorted(m for m in ('textual', 'optuna', 'plotext') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
