"""Real Neovim (headless) with the configuration docs/editors.md gives: opens a program with
an error, gets the diagnostic with its code from neural-lsp, hovers a layer and sees its shape."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from tests.editors.doc import PROGRAM, doc_block, editor, server_path

NVIM = editor("nvim")
pytestmark = pytest.mark.skipif(NVIM is None, reason="no nvim: run scripts/editor-deps.sh")

# Runs after the file is loaded: waits (bounded) for the diagnostics, asks for a hover on the
# Dense layer through the attached client, and writes what it saw as JSON.
PROBE = r"""
local out = {}
out.filetype = vim.bo.filetype
vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
out.diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(out.diagnostics, { lnum = d.lnum, code = d.code, message = d.message, source = d.source })
end
out.clients = {}
for _, c in pairs(vim.lsp.buf_get_clients(0)) do table.insert(out.clients, c.name) end
local params = { textDocument = vim.lsp.util.make_text_document_params(),
                 position = { line = tonumber(vim.env.HOVER_LINE), character = tonumber(vim.env.HOVER_CHAR) } }
local res = vim.lsp.buf_request_sync(0, "textDocument/hover", params, 20000) or {}
out.hover = {}
for _, r in pairs(res) do
  local c = r.result and r.result.contents
  if type(c) == "table" and c.value then table.insert(out.hover, c.value)
  elseif type(c) == "string" then table.insert(out.hover, c) end
end
vim.fn.writefile({ vim.fn.json_encode(out) }, vim.env.PROBE_OUT)
vim.cmd("qa!")
"""


def test_neovim_gets_diagnostic_code_and_layer_shape_on_hover(tmp_path):
    (tmp_path / "init.lua").write_text(doc_block("neovim"))
    (tmp_path / "probe.lua").write_text(PROBE)
    src = PROGRAM.read_text()
    (tmp_path / "model.neural").write_text(src)
    lines = src.splitlines()
    dense = next(i for i, line in enumerate(lines) if "Dense(64" in line)
    dropout = next(i for i, line in enumerate(lines) if "Dropout(1.5)" in line)
    out = tmp_path / "out.json"
    env = {**os.environ, "PATH": server_path(), "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path),
           "PROBE_OUT": str(out), "HOVER_LINE": str(dense), "HOVER_CHAR": str(lines[dense].index("Dense") + 1)}
    proc = subprocess.run([NVIM, "--headless", "-u", "init.lua", "-i", "NONE", "-n", "model.neural",
                           "-c", "luafile probe.lua"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=90)
    assert out.exists(), f"nvim wrote no result (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    got = json.loads(out.read_text())
    assert got["filetype"] == "neural"
    assert got["clients"] == ["neural"]
    errors = [d for d in got["diagnostics"] if d["lnum"] == dropout]
    assert errors, f"no diagnostic on line {dropout + 1}: {got['diagnostics']}"
    assert all(re.fullmatch(r"N\d+", str(d["code"])) for d in errors), errors
    assert any("Dense" in h and "→ `(64,)`" in h for h in got["hover"]), got["hover"]
