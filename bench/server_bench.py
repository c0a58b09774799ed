"""Editor latency: fresh diagnostics from `karpathy-lint server` after an edit vs one CLI run (issue 16).

    python bench/server_bench.py [--rounds 30] [--file corpus/02-DeepGEMM/02-fp8_quantization.py]

Side by side, interleaved in one run on the same file (copied to a temporary
folder): (a) the wall time of `karpathy-lint --no-cache FILE` as a fresh
process, what an editor plugin that shells out to the CLI pays per edit;
(b) in one long-lived server, driven over stdio by pygls's client with VS
Code's recorded capabilities, the time from sending an incremental
`didChange` (one character typed into a comment) to receiving the
`publishDiagnostics` for that version: debounce (the server's default),
lint, conversion and transport included. Writes the section between the
`server-bench` markers of bench/RESULTS.md. Not a test; nothing runs it in CI.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pytest_lsp import client_capabilities

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- server-bench:start -->", "<!-- server-bench:end -->"


def loadavg() -> list[str]:
    try:
        return Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return []


def cli_once(path: Path, cwd: Path) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "karpathy_lint", "--no-cache", str(path)], cwd=cwd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


async def run(path: Path, rounds: int) -> tuple[list[float], list[float], int, int]:
    client = LanguageClient("bench", "0")
    arrived: dict[int, float] = {}
    counts = {"findings": 0}
    event = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def publish(params: types.PublishDiagnosticsParams):
        if params.version is not None:
            arrived.setdefault(params.version, time.perf_counter())
            counts["findings"] = len(params.diagnostics)
            event.set()

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def log(params):
        pass

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params):
        return None

    @client.feature(types.WORKSPACE_CONFIGURATION)
    def configuration(params: types.ConfigurationParams):
        return [None for _ in params.items]

    await client.start_io(sys.executable, "-m", "karpathy_lint", "server", cwd=str(path.parent))
    folder = types.WorkspaceFolder(uri=path.parent.as_uri(), name="bench")
    await client.initialize_async(types.InitializeParams(capabilities=client_capabilities("visual-studio-code"),
                                                          workspace_folders=[folder], root_uri=folder.uri))
    client.initialized(types.InitializedParams())
    uri = path.as_uri()
    text = path.read_text()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))

    async def wait(version: int) -> float:
        while version not in arrived:
            event.clear()
            await asyncio.wait_for(event.wait(), 30)
        return arrived[version]

    await wait(1)
    # the edit: type one character at the end of the last comment line, then delete it, alternately
    lines = text.split("\n")
    line = max(i for i, s in enumerate(lines) if s.lstrip().startswith("#"))
    col = len(lines[line])
    server_times, cli_times = [], []
    version = 1
    for i in range(rounds):
        cli_times.append(cli_once(path, path.parent))
        version += 1
        if i % 2 == 0:
            rng = types.Range(start=types.Position(line=line, character=col), end=types.Position(line=line, character=col))
            change = types.TextDocumentContentChangePartial(range=rng, text="x")
        else:
            rng = types.Range(start=types.Position(line=line, character=col),
                              end=types.Position(line=line, character=col + 1))
            change = types.TextDocumentContentChangePartial(range=rng, text="")
        sent = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=[change]))
        server_times.append(await wait(version) - sent)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return server_times, cli_times, len(text.splitlines()), counts["findings"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--file", default="corpus/02-DeepGEMM/02-fp8_quantization.py")
    ap.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(args.file).name
        shutil.copy(ROOT / args.file, path)
        load_before = loadavg()
        server_times, cli_times, n_lines, findings = asyncio.run(run(path, args.rounds))
        load_after = loadavg()
    srv, cli = statistics.median(server_times), statistics.median(cli_times)
    ratio = srv / cli
    from karpathy_lint.server.app import DEFAULT_DEBOUNCE_MS

    section = "\n".join([
        START,
        "## Editor latency: `karpathy-lint server` vs one CLI run (issue 16)",
        "",
        (f"Written by `bench/server_bench.py` on {time.strftime('%Y-%m-%d %H:%M')}; {args.rounds} interleaved rounds "
         f"on `{args.file}` ({n_lines} lines, {findings} findings). Load average before: {' '.join(load_before)}; "
         f"after: {' '.join(load_after)}."),
        "",
        "| measure | median ms | min-max ms |",
        "|---|---|---|",
        (f"| server: incremental `didChange` -> `publishDiagnostics` of that version "
         f"(debounce {DEFAULT_DEBOUNCE_MS} ms included) | {srv * 1000:.1f} | "
         f"{min(server_times) * 1000:.1f}-{max(server_times) * 1000:.1f} |"),
        (f"| CLI: `karpathy-lint --no-cache FILE`, a fresh process | {cli * 1000:.1f} | "
         f"{min(cli_times) * 1000:.1f}-{max(cli_times) * 1000:.1f} |"),
        "",
        f"Server ÷ CLI: **{ratio:.2f}** (target ≤ 0.33: {'holds' if ratio <= 1 / 3 else 'does NOT hold'}).",
        END,
    ])
    print(section)
    if not args.no_write:
        results = ROOT / "bench" / "RESULTS.md"
        text = results.read_text() if results.exists() else ""
        if START in text:
            head, _, rest = text.partition(START)
            _, _, tail = rest.partition(END)
            text = head + section + tail
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        results.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
