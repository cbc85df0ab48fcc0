"""Helix is not packaged for this machine, so its languages.toml from docs/editors.md is only
checked for what can be checked without it: it parses, it maps `.neural` to a language whose
server is the `neural-lsp` this package installs."""

from __future__ import annotations

import shutil
import tomllib

from tests.editors.doc import doc_block, server_path


def test_helix_languages_toml_parses_and_names_the_installed_server():
    conf = tomllib.loads(doc_block("helix"))
    (lang,) = [x for x in conf["language"] if x["name"] == "neural"]
    assert lang["file-types"] == ["neural"]
    assert lang["comment-token"] == "#"
    (server,) = lang["language-servers"]
    command = conf["language-server"][server]["command"]
    assert shutil.which(command, path=server_path()), f"{command} is not what this package installs"
