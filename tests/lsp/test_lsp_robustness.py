"""Robustness: thousands of random incremental edits (seeded) with every feature asked
along the way; an exception inside a feature is logged and answered with an empty result;
the server starts over stdio (with or without --stdio) and TCP, and never imports an ML
framework."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from compiler.analysis import analyze
from tests.lsp.conftest import (
    EXAMPLES,
    ROOT,
    diagnostics,
    open_doc,
    position,
    server_fixture,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

IMPORT_LOG = Path(f"/tmp/neural-lsp-importtime-{__import__('os').getpid()}.log")
client = server_fixture(command=["sh", "-c", f'exec "{sys.executable}" -X importtime -m neural_lsp '
                                             f'--stdio 2>"{IMPORT_LOG}"'])
HEAVY = ("torch", "tensorflow", "keras", "optuna", "mlflow", "wandb", "textual", "matplotlib", "sklearn")

FRAGMENTS = [
    "Dense(", "Dense(64)", ")", "(", "{", "}", "[", "]", ",", "=", ":", "\n", "\r\n", "\r", " ",
    "    ", "\t", "HPO(", "HPO(choice(32, 64))", "choice(", "range(0.1, 0.5, step=0.1)",
    "log_range(", '"relu"', '"', "'", "#", "# ünï 😀 comment\n", "//", "network ", "define ",
    "layers:", "input: (28, 28, 1)", "Conv2D(8, (3, 3))", "* 3", "@ \"cuda:0\"", "ResBlock()",
    "Flatten()", "1e-3", "-5", "0", "é", "😀", "\u2028", "\x85", "train {", "loss: ", "optimizer: Adam(",
    "\ud800",
]


def _utf16_range(text: str, start: int, end: int) -> types.Range:
    return types.Range(start=position(text, start), end=position(text, end))


async def _ask_everything(client, uri: str, text: str, rnd: random.Random) -> None:
    """Every request the server answers, at a random place: none may fail."""
    td = types.TextDocumentIdentifier(uri=uri)
    p = position(text, rnd.randint(0, len(text)))
    whole = types.Range(start=types.Position(0, 0), end=position(text, len(text)))
    await client.text_document_hover_async(types.HoverParams(text_document=td, position=p))
    await client.text_document_completion_async(types.CompletionParams(text_document=td, position=p))
    await client.text_document_signature_help_async(types.SignatureHelpParams(text_document=td, position=p))
    await client.text_document_inlay_hint_async(types.InlayHintParams(text_document=td, range=whole))
    await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=td))
    await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=td))
    await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=td))
    await client.text_document_code_lens_async(types.CodeLensParams(text_document=td))
    await client.text_document_definition_async(types.DefinitionParams(text_document=td, position=p))
    await client.text_document_references_async(types.ReferenceParams(
        text_document=td, position=p, context=types.ReferenceContext(include_declaration=True)))
    await client.text_document_prepare_rename_async(types.PrepareRenameParams(text_document=td, position=p))
    await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=td, options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    await client.protocol.send_request_async("neural/networkShape",
                                             {"uri": uri, "position": {"line": p.line, "character": p.character}})
    await client.text_document_code_action_async(types.CodeActionParams(
        text_document=td, range=types.Range(start=p, end=p), context=types.CodeActionContext(diagnostics=[])))


async def test_thousands_of_random_edits(client):
    rnd = random.Random(20261123)
    text = "\n\n".join(p.read_text() for p in EXAMPLES)
    uri = open_doc(client, text)
    errors_before = sum(m.type == types.MessageType.Error for m in client.log_messages)
    version = 1
    for i in range(3000):
        start = rnd.randint(0, len(text))
        end = min(len(text), start + rnd.choice([0, 0, 1, 2, 5, 20, 200]))
        new = "".join(rnd.choice(FRAGMENTS) for _ in range(rnd.choice([0, 1, 1, 2, 3])))
        if rnd.random() < 0.1:  # sometimes a random character, any plane
            new += chr(rnd.choice([rnd.randint(32, 126), rnd.randint(0xA0, 0x2FFF), rnd.randint(0x1F300, 0x1FAFF)]))
        if start < len(text) and text[start - 1:start + 1] == "\r\n":
            start -= 1  # never split a CRLF: LSP positions cannot point between its two halves
        if end < len(text) and text[end - 1:end + 1] == "\r\n":
            end += 1
        if 0 < start < len(text) and "\ud800" <= text[start - 1] <= "\udbff":
            start -= 1
        rng = _utf16_range(text, start, end)
        text = text[:start] + new + text[end:]
        version += 1
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new)]))
        if i % 250 == 249:
            await _ask_everything(client, uri, text, rnd)
            await diagnostics(client, uri, version, timeout=30)
    got = await diagnostics(client, uri, version, timeout=30)
    want = analyze(text).diagnostics
    assert [(d.code, d.range.start, d.range.end) for d in got] == \
        [(w.code, position(text, w.start), position(text, w.end)) for w in want], \
        "the server's copy of the text is the client's"
    errors = [m.message for m in client.log_messages if m.type == types.MessageType.Error][errors_before:]
    assert errors == [], errors[:3]


async def test_an_exception_is_logged_and_answered_empty(client):
    before = len(client.log_messages)
    missing = "file:///nowhere/never-opened.neural"
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=missing), position=types.Position(0, 0)))
    assert h is None
    got = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=missing), position=types.Position(0, 0)))
    assert list(got.items) == []
    logged = [m for m in client.log_messages[before:] if m.type == types.MessageType.Error]
    assert any("textDocument/hover failed" in m.message and "never-opened" in m.message for m in logged)
    # a bad command argument is an error response, and the server goes on answering
    with pytest.raises(JsonRpcException) as err:
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="neural.server.compile", arguments=[42, "pytorch", None]))
    assert err.value.code == -32602
    uri = open_doc(client, EXAMPLES[0].read_text())
    assert await diagnostics(client, uri, 1) is not None


async def test_no_ml_framework_is_imported(client, tmp_path):
    text = (ROOT / "examples" / "mnist_cnn.neural").read_text()
    src = tmp_path / "m.neural"
    src.write_text(text)
    uri = open_doc(client, text, uri=src.as_uri())
    await diagnostics(client, uri, 1)
    await _ask_everything(client, uri, text, random.Random(1))
    r = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="neural.server.compile", arguments=[uri, "pytorch", None]))
    assert Path(r["path"]).exists()
    await client.shutdown_session()
    client.capabilities = None  # the fixture's shutdown is done
    modules = set()
    for line in IMPORT_LOG.read_text().splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    IMPORT_LOG.unlink()
    assert "neural_lsp" in modules and "compiler" in modules, "the log is the server's"
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


async def test_tcp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "neural_lsp", "--tcp", f"127.0.0.1:{port}"],
                            cwd=ROOT, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the server never listened: {proc.stderr.read()}")

        async def call(msg: dict) -> dict | None:
            body = json.dumps(msg).encode()
            writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
            if "id" not in msg:
                return None
            while True:
                headers = {}
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    k, _, v = line.decode().partition(":")
                    headers[k.strip().lower()] = v.strip()
                reply = json.loads(await reader.readexactly(int(headers["content-length"])))
                if reply.get("id") == msg["id"]:
                    return reply

        init = await asyncio.wait_for(call({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                            "params": {"processId": None, "rootUri": None, "capabilities": {}}}), 30)
        assert init["result"]["capabilities"]["hoverProvider"]
        assert init["result"]["serverInfo"]["name"] == "neural-lsp"
        await call({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        assert (await call({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))["result"] is None
        writer.close()
    finally:
        proc.terminate()
        proc.wait(10)


async def test_console_script_and_arguments():
    exe = Path(sys.executable).with_name("neural-lsp")
    if exe.exists():
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
        assert out.stdout.strip().startswith("neural-lsp ")
    bad = subprocess.run([sys.executable, "-m", "neural_lsp", "--tcp", "nowhere"], capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert bad.returncode == 2 and "HOST:PORT" in bad.stderr


async def test_neural_lsp_subcommand_serves_over_stdio():
    """`neural lsp` is the same server as `neural-lsp`, with the same options."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "runner", "lsp", cwd=ROOT, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"processId": None, "rootUri": None, "capabilities": {}}}).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await proc.stdin.drain()
    try:
        headers = {}
        while (line := await asyncio.wait_for(proc.stdout.readline(), 30)) not in (b"\r\n", b""):
            k, _, v = line.decode().partition(":")
            headers[k.strip().lower()] = v.strip()
        reply = json.loads(await proc.stdout.readexactly(int(headers["content-length"])))
        assert reply["result"]["serverInfo"]["name"] == "neural-lsp"
        assert reply["result"]["capabilities"]["hoverProvider"]
    finally:
        proc.kill()
        await proc.wait()
    bad = subprocess.run([sys.executable, "-m", "runner", "lsp", "--tcp", "nowhere"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert bad.returncode == 2 and "HOST:PORT" in bad.stderr
