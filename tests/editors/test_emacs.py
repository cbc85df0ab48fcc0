"""Real Emacs (batch) with eglot and the configuration docs/editors.md gives: opens a program
with an error, Flymake gets the diagnostic with its code from neural-lsp, and a hover on a
layer through eglot's connection shows its shape."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from tests.editors.doc import PROGRAM, doc_block, editor, server_path

EMACS = editor("emacs")
pytestmark = pytest.mark.skipif(EMACS is None, reason="no emacs: run scripts/editor-deps.sh")

# eglot-ensure connects from post-command-hook, which batch mode never runs by itself; the
# probe runs it once (what the first keystroke does), then waits, bounded, for Flymake.
PROBE = r"""
(require 'json)
(find-file (getenv "PROGRAM"))
(run-hooks 'post-command-hook)
(let ((deadline (+ (float-time) 40)) diags)
  (while (and (< (float-time) deadline)
              (not (setq diags (and (eglot-current-server) (flymake-diagnostics)))))
    (when (and (eglot-current-server) (not flymake-mode)) (flymake-mode 1))
    (when (bound-and-true-p flymake-mode) (flymake-start))
    (accept-process-output nil 0.1))
  (goto-char (point-min))
  (forward-line (string-to-number (getenv "HOVER_LINE")))
  (search-forward "Dense")
  (backward-char 2)
  (let* ((hover (jsonrpc-request (eglot--current-server-or-lose) :textDocument/hover
                                 (eglot--TextDocumentPositionParams)))
         (contents (plist-get hover :contents))
         (result (json-encode
                  (list :mode (symbol-name major-mode)
                        :server (and (eglot-current-server) t)
                        :diagnostics (vconcat
                                      (mapcar (lambda (d)
                                                (list :line (1- (line-number-at-pos (flymake-diagnostic-beg d)))
                                                      :text (flymake-diagnostic-text d)))
                                              diags))
                        :hover (if (stringp contents) contents (plist-get contents :value))))))
    (with-temp-file (getenv "PROBE_OUT") (insert result))))
(kill-emacs 0)
"""


def test_emacs_eglot_gets_diagnostic_code_and_layer_shape_on_hover(tmp_path):
    (tmp_path / "neural.el").write_text(doc_block("emacs"))
    (tmp_path / "probe.el").write_text(PROBE)
    src = PROGRAM.read_text()
    program = tmp_path / "model.neural"
    program.write_text(src)
    # A project root (eglot asks project.el where the project is).
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    lines = src.splitlines()
    dense = next(i for i, line in enumerate(lines) if "Dense(64" in line)
    dropout = next(i for i, line in enumerate(lines) if "Dropout(1.5)" in line)
    out = tmp_path / "out.json"
    env = {**os.environ, "PATH": server_path(), "HOME": str(tmp_path), "PROGRAM": str(program),
           "PROBE_OUT": str(out), "HOVER_LINE": str(dense)}
    proc = subprocess.run([EMACS, "--batch", "-q", "-l", "neural.el", "-l", "probe.el"], cwd=tmp_path,
                          env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90)
    assert out.exists(), f"emacs wrote no result (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    got = json.loads(out.read_text())
    assert got["mode"] == "neural-mode"
    assert got["server"] is True
    errors = [d for d in got["diagnostics"] if d["line"] == dropout]
    assert errors, f"no diagnostic on line {dropout + 1}: {got['diagnostics']}"
    assert any(re.search(r"\[N\d+\]", d["text"]) for d in errors), errors
    assert "Dense" in got["hover"] and "→ `(64,)`" in got["hover"], got["hover"]
