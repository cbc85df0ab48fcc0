"""The Zed extension in editors/zed cannot be built or run here (no Zed, no wasm32-wasip2
target, no crates.io); what can be checked is that its manifests parse and agree with each
other and with the server: one language `Neural` for `.neural`, served by `neural-lsp`."""

from __future__ import annotations

import re
import tomllib

from tests.editors.doc import ROOT

ZED = ROOT / "editors" / "zed"


def test_zed_manifests_agree():
    ext = tomllib.loads((ZED / "extension.toml").read_text())
    lang = tomllib.loads((ZED / "languages" / "neural" / "config.toml").read_text())
    cargo = tomllib.loads((ZED / "Cargo.toml").read_text())
    assert lang["name"] == "Neural" and lang["path_suffixes"] == ["neural"]
    assert lang["line_comments"] == ["# "]
    (server,) = ext["language_servers"]
    assert ext["language_servers"][server]["languages"] == [lang["name"]]
    assert cargo["lib"]["crate-type"] == ["cdylib"]
    assert "zed_extension_api" in cargo["dependencies"]
    source = (ZED / "src" / "lib.rs").read_text()
    assert re.search(r'worktree\s*\.which\("neural-lsp"\)', source)
    assert "register_extension!" in source
