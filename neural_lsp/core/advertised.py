"""What the server announces in its `initialize` answer and nothing else, so that answer does
not wait for the feature modules (and the compiler under them) to be imported."""

from __future__ import annotations

from lsprotocol import types

TOKEN_TYPES = ["keyword", "class", "macro", "parameter", "property", "string", "number",
               "comment", "enumMember", "function", "type"]
TOKEN_MODIFIERS = ["declaration", "defaultLibrary"]
LEGEND = types.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS)

SOURCE = types.CodeActionKind.Source.value
SOURCE_KINDS = {
    "hpo": f"{SOURCE}.neural.runHpo",
    "pytorch": f"{SOURCE}.neural.compile.pytorch",
    "tensorflow": f"{SOURCE}.neural.compile.tensorflow",
    "train": f"{SOURCE}.neural.train",
}
APPLY_BEST = f"{SOURCE}.neural.applyBestValues"

# workspace/executeCommand (contract with vscode-extension/src/commands.ts; features.commands)
RUN_HPO = "neural.server.runHpo"
COMPILE = "neural.server.compile"
TRAIN = "neural.server.train"
COMMAND_HANDLERS = {RUN_HPO: "run_hpo_command", COMPILE: "compile_command", TRAIN: "train_command"}
