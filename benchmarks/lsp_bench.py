"""Latency of the Neural language server over stdio, next to a bare pygls server.

For documents of 100, 1,000 and 10,000 layers, a real LSP client (pygls's) measures:
  edit -> diagnostics: a one-line incremental didChange in the middle of the document,
                       until the publishDiagnostics for that version arrives (a number that
                       keeps its length, then one whose length changes at every edit);
  hover:               a hover request on a layer in the middle, until its answer, sent as
                       soon as the edit's diagnostics arrive;
  typing a line:       each edit (until its diagnostics) while a new layer line is typed key
                       by key in the middle, 20 ms apart, the editor closing brackets and
                       quotes (the keys where the line is not a valid layer make every
                       later shape unknown: the p95 is those).
The floor is the same measurement against a bare pygls server that does nothing (it
publishes empty diagnostics on every change and answers every hover with a fixed text).
Ratios are ours / floor. Also printed: the in-process analysis time of the same text
(what the compiler costs), and the time from spawning each server to its initialize answer.

    python benchmarks/lsp_bench.py [--samples 30] [--sizes 100,1000,10000]

`--long-line` instead measures one long line of a small program, non-ASCII against the same
line in ASCII (the baseline): open -> diagnostics, and a code action over the whole
document. Lines: a run of 46,000 emoji (one N101 now), and 46,000 emoji each followed by a
comma (46,000 N101s: their positions are converted on the line's one table; 1,000 of them are
sent, and one more diagnostic sums up the rest).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types

sys.path.insert(0, str(Path(__file__).resolve().parent))


# ---------------------------------------------------------------------- the floor
def bare_server() -> None:
    """A pygls server that does nothing but answer: the framework's floor."""
    from pygls.lsp.server import LanguageServer

    ls = LanguageServer("bare", "0")

    def publish(uri: str, version: int) -> None:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=[]))

    @ls.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        publish(params.text_document.uri, params.text_document.version)

    @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        # pygls has applied the change to its copy of the document before this runs
        publish(params.text_document.uri, params.text_document.version)

    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(params: types.HoverParams) -> types.Hover:
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="bare"))

    ls.start_io()


# ---------------------------------------------------------------------- the client
class Session:
    def __init__(self, argv: list[str]) -> None:
        from pygls.lsp.client import LanguageClient

        self.argv = argv
        self.client = LanguageClient("lsp-bench", "0")
        self.waiting: dict[tuple[str, int], asyncio.Future] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            fut = self.waiting.pop((params.uri, params.version), None)
            if fut is not None and not fut.done():
                fut.set_result(len(params.diagnostics))

        @self.client.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> list:
            return [None for _ in params.items]

    async def start(self) -> float:
        t = time.perf_counter()
        await self.client.start_io(*self.argv)
        await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(
                workspace=types.WorkspaceClientCapabilities(configuration=True),
                text_document=types.TextDocumentClientCapabilities(
                    publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
                    hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown])))))
        took = time.perf_counter() - t
        self.client.initialized(types.InitializedParams())
        return took

    def expect(self, uri: str, version: int) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self.waiting[(uri, version)] = fut
        return fut

    async def open(self, uri: str, text: str) -> int:
        fut = self.expect(uri, 1)
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="neural", version=1, text=text)))
        return await asyncio.wait_for(fut, 120)

    async def edit(self, uri: str, version: int, line: int, start: int, end: int, text: str) -> float:
        fut = self.expect(uri, version)
        t = time.perf_counter()
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line, start), end=types.Position(line, end)),
                text=text)]))
        await asyncio.wait_for(fut, 120)
        return time.perf_counter() - t

    async def hover(self, uri: str, line: int, character: int) -> float:
        t = time.perf_counter()
        h = await self.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character)))
        took = time.perf_counter() - t
        assert h is not None, "no hover"
        return took

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


async def measure(argv: list[str], text: str, samples: int, warmup: int) -> dict:
    s = Session(argv)
    startup = await s.start()
    uri = "file:///bench/bench.neural"
    await s.open(uri, text)
    lines = text.split("\n")
    # a `Conv2D(16, ...)` line in the middle: its filters change at every edit (so every
    # text is new, no cache can answer, and every later shape and count changes); the hover
    # is on its name, which needs the analysis of the new text
    mid = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].strip().startswith("Conv2D(16"))
    col = lines[mid].index("16")
    width = "16"
    out: dict = {"startup": startup, "edit": [], "hover": [], "edit_len": [], "hover_len": []}
    version = 1
    # First series: the number keeps its length (17, 18, ...). Second: it alternates between
    # two and three digits, so every offset after the line moves and the server's update
    # has that to do too; the hover right after waits for it.
    for series, (ek, hk) in enumerate((("edit", "hover"), ("edit_len", "hover_len"))):
        for i in range(warmup + samples):
            new = str(17 + i) if series == 0 or i % 2 else str(170 + i)
            version += 1
            took_edit = await s.edit(uri, version, mid, col, col + len(width), new)
            width = new
            took_hover = await s.hover(uri, mid, lines[mid].index("Conv2D") + 1)
            if i >= warmup:
                out[ek].append(took_edit)
                out[hk].append(took_hover)
    # Third: a new layer line typed key by key after that line, brackets and quotes closed
    # by the editor as VS Code does (typing over a closer moves the cursor, no edit).
    out["typing"] = []
    current = lines[mid][:col] + width + lines[mid][col + 2:]  # the line as the edits left it
    for line, start, end, text in typing_edits(current, mid):
        version += 1
        await asyncio.sleep(KEY_GAP)
        out["typing"].append(await s.edit(uri, version, line, start, end, text))
    await s.stop()
    return out


TYPED = 'Dense(64, activation="relu")'
KEY_GAP = 0.02  # seconds between keys: 50 a second, faster than anyone types


def typing_edits(after: str, line: int) -> list[tuple[int, int, int, str]]:
    """(line, start, end, text) of each edit an editor sends while TYPED is typed on a new
    line below `after` (Enter keeps the indentation; ( and " are closed automatically)."""
    indent = after[:len(after) - len(after.lstrip())]
    edits = [(line, len(after), len(after), "\n" + indent)]
    row, col, buf = line + 1, len(indent), ""
    closers = {"(": ")", '"': '"'}
    for ch in TYPED:
        if buf[col - len(indent):col - len(indent) + 1] == ch and ch in closers.values():
            col += 1  # typed over the closer the editor inserted
            continue
        ins = ch + closers.get(ch, "")
        edits.append((row, col, col, ins))
        i = col - len(indent)
        buf = buf[:i] + ins + buf[i:]
        col += 1
    return edits


def stats(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, max(0, round(0.95 * len(xs)) - 1))]
    return statistics.median(xs) * 1000, p95 * 1000


async def main_async(args: argparse.Namespace) -> None:
    # Imported here, not at the top: the bare server runs this file too, and imports nothing
    # of ours (its start-up is the floor's).
    from compile_bench import program  # the same program the compile figures use

    from compiler.analysis import analyze

    ours = [sys.executable, "-m", "neural_lsp"]
    bare = [sys.executable, str(Path(__file__).resolve()), "--bare-server"]
    print(f"{'layers':>7} {'what':<22} {'ours med':>9} {'p95':>8} {'floor med':>10} {'p95':>8} "
          f"{'ratio med':>10} {'ratio p95':>10}")
    startups = []
    for n in args.sizes:
        text = program(n)
        samples = args.samples if n < 10_000 else max(5, args.samples // 3)
        t = []
        for _ in range(3):
            t0 = time.perf_counter()
            a = analyze(text)
            t.append(time.perf_counter() - t0)
        analysis_ms = statistics.median(t) * 1000
        n_diags = len(a.diagnostics)
        floor = await measure(bare, text, samples, args.warmup)
        mine = await measure(ours, text, samples, args.warmup)
        startups.append((n, mine["startup"], floor["startup"]))
        for what, key in (("edit -> diagnostics", "edit"), ("hover", "hover"),
                          ("  same, length changes", "edit_len"), ("  hover right after", "hover_len"),
                          (f"typing a line ({len(mine['typing'])})", "typing")):
            om, op = stats(mine[key])
            fm, fp = stats(floor[key])
            print(f"{n:>7,} {what:<22} {om:>8.2f}ms {op:>6.2f}ms {fm:>8.2f}ms {fp:>6.2f}ms "
                  f"{om / fm:>9.1f}x {op / fp:>9.1f}x")
        print(f"{n:>7,} {'(analysis in process)':<22} {analysis_ms:>8.2f}ms   "
              f"({len(text):,} characters, {n_diags} diagnostics)")
    print()
    for n, mine, fl in startups:
        print(f"spawn -> initialize answer ({n:,} layers run): ours {mine * 1000:.0f} ms, "
              f"bare pygls {fl * 1000:.0f} ms")


LONG_LINES = {  # name: (non-ASCII line, its ASCII baseline: the same tokens and diagnostics)
    "a run of 46,000 emoji": ("😀" * 46_000, "$" * 46_000),
    "46,000 emoji between commas": ("😀," * 46_000, "$," * 46_000),
}


def long_line_program(line: str) -> str:
    return ("network Long {\n  input: (8,)\n  layers:\n    Dense(4)\n" + line + "\n"
            "    Output(2, activation=\"softmax\")\n  loss: \"sparse_categorical_crossentropy\"\n}\n")


async def long_line(text: str, samples: int) -> dict:
    """Open -> diagnostics and a whole-document code action, `samples` times each."""
    s = Session([sys.executable, "-m", "neural_lsp"])
    await s.start()
    out: dict = {"open": [], "action": [], "diagnostics": 0}
    end = types.Position(text.count("\n") + 1, 0)
    for i in range(samples):
        uri = f"file:///bench/long_{i}.neural"
        t = time.perf_counter()
        out["diagnostics"] = await s.open(uri, text)
        out["open"].append(time.perf_counter() - t)
        t = time.perf_counter()
        await s.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(types.Position(0, 0), end),
            context=types.CodeActionContext(diagnostics=[])))
        out["action"].append(time.perf_counter() - t)
        s.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
    await s.stop()
    return out


async def long_lines_async(samples: int) -> None:
    print(f"{'line':<28} {'what':<22} {'non-ASCII med':>14} {'ASCII med':>10} {'ratio':>7}  diagnostics")
    for name, (wide, narrow) in LONG_LINES.items():
        mine = await long_line(long_line_program(wide), samples)
        base = await long_line(long_line_program(narrow), samples)
        for what, key in (("open -> diagnostics", "open"), ("code action, whole doc", "action")):
            om, fm = stats(mine[key])[0], stats(base[key])[0]
            print(f"{name:<28} {what:<22} {om:>12.1f}ms {fm:>8.1f}ms {om / fm:>6.2f}x  "
                  f"{mine['diagnostics']} / {base['diagnostics']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--long-line", action="store_true",
                    help="measure a long non-ASCII line against the same line in ASCII")
    ap.add_argument("--sizes", default="100,1000,10000",
                    type=lambda s: [int(x) for x in s.split(",")])
    args = ap.parse_args()
    if args.bare_server:
        bare_server()
        return
    if args.long_line:
        asyncio.run(long_lines_async(max(3, min(args.samples, 5))))
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
