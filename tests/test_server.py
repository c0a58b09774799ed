"""`karpathy-lint server` driven over stdio by pytest-lsp, with VS Code's and Neovim's recorded
capabilities, LSP specification warnings as errors. Real server process, real files, no mocks."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsp_client import PROFILES, SERVER, EditorClient, code_actions, column_of, make_client
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcMethodNotFound
from pytest_lsp import ClientServerConfig, client_capabilities

pytestmark = [pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")]

DATA = Path(__file__).parent / "data"
PY = (DATA / "clean_router.py").read_text()
CU = (DATA / "clean_kernel.cu").read_text()
EMOJI_LINE = '    s = "😀 中文 ok"  # karpathy: keep the best top_k per token; the rest never run'
# seeded: a misspelt marker after emoji and CJK text (KL301, safe fix) and a function missing from the
# Function List (KL202, safe fix)
SEEDED = PY.replace("    # Karpathy: keep the best top_k per token; the rest never run", EMOJI_LINE).replace(
    "def main():", "def helper(a, b):\n    # Karpathy: a helper the list forgot\n    return a\n\n\ndef main():")


def uri(path: Path) -> str:
    return path.as_uri()


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "karpathy_lint", *args], cwd=cwd, capture_output=True, text=True,
                          check=False)


def scaffold_cli(path: Path) -> None:
    subprocess.run([sys.executable, "-m", "karpathy_lint.codemods.scaffold_cli", str(path)], cwd=path.parent,
                   check=False, capture_output=True)


def caps(profile: str) -> types.ClientCapabilities:
    if profile == "utf32":  # a client that offers only UTF-32
        c = client_capabilities("neovim")
        c.general.position_encodings = ["utf-32"]
        return c
    return client_capabilities(PROFILES[profile])


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client),
                    params=["vscode", "neovim"])
async def client(lsp_client: EditorClient, request, tmp_path: Path):
    lsp_client.profile = request.param
    lsp_client.root = tmp_path
    yield
    if lsp_client.exit_code is None and lsp_client.capabilities is not None:
        await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def one_client(lsp_client: EditorClient, tmp_path: Path):
    """A client whose capabilities the test picks."""
    lsp_client.root = tmp_path
    yield
    if lsp_client.exit_code is None and lsp_client.capabilities is not None:
        await lsp_client.shutdown_session()


async def start(client: EditorClient, profile: str | None = None, **kw):
    return await client.start(caps(profile or client.profile), **kw)


def config_changed(client: EditorClient, path: Path) -> None:
    """What the editor does when a config file changes: notify the server if it asked to be told
    (dynamic registration); otherwise nothing, and the server notices by modification time."""
    if any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in client.registrations):
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
            uri=uri(path), type=types.FileChangeType.Changed)]))


def codes_by_line(diags) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for d in diags:
        out.setdefault(d.range.start.line, set()).add(d.code)
    return out


def line_index(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n")


# -- the main path: diagnostics, quick fix, fix-all, hover, shutdown ---------------------------------------


@pytest.mark.asyncio
async def test_diagnostics_fix_and_fix_all(client: EditorClient):
    root = client.root
    path = root / "router.py"
    path.write_text(SEEDED)
    result = await start(client, folders=[str(root)])
    assert result.capabilities.diagnostic_provider is None  # push only: a client never gets both
    u = uri(path)
    client.open(u, SEEDED)
    diags = await client.diagnostics_for(u, version=1)
    by_line = codes_by_line(diags)
    marker_line = line_index(SEEDED, EMOJI_LINE)
    assert "KL301" in by_line[marker_line]
    assert "KL202" in by_line[line_index(SEEDED, "def helper")]
    # the same findings as the command line on the same file
    proc = cli("--no-cache", "--format", "concise", str(path), cwd=root)
    assert sorted(d.code for d in diags) == sorted(line.split()[1] for line in proc.stdout.splitlines()
                                                   if line.startswith(str(path)))
    kl301 = next(d for d in diags if d.code == "KL301")
    assert kl301.source == "karpathy-lint" and kl301.severity == types.DiagnosticSeverity.Error
    # the column counts the emoji and the CJK characters in the negotiated units
    assert client.negotiated == {"vscode": "utf-16", "neovim": "utf-8"}[client.profile]
    assert kl301.range.start.character == column_of(EMOJI_LINE, "# karpathy", client.negotiated)
    if client.profile == "vscode":  # declares codeDescriptionSupport
        assert kl301.code_description.href.endswith("#kl301-marker-malformed") or "pypi.org" in kl301.code_description.href

    # the quick fix for KL301, preferred (safe), applied as the editor would
    actions = await code_actions(client, u, [kl301], only=[types.CodeActionKind.QuickFix])
    fix = next(a for a in actions if "KL301" in a.title and "suppress" not in a.title)
    assert fix.kind == types.CodeActionKind.QuickFix and list(fix.diagnostics) == [kl301]
    assert fix.is_preferred is True and "unsafe" not in fix.title
    version = client.apply_workspace_edit(u, fix.edit)
    assert "# Karpathy: keep the best" in client.texts[u]
    diags = await client.diagnostics_for(u, version=version)
    assert "KL301" not in {d.code for d in diags} and "KL202" in {d.code for d in diags}

    # fix-all applies every remaining safe fix: the same text as `karpathy-lint --fix` on the file
    actions = await code_actions(client, u, [], only=["source.fixAll.karpathy-lint"])
    (fix_all,) = actions
    assert fix_all.kind == "source.fixAll.karpathy-lint"
    version = client.apply_workspace_edit(u, fix_all.edit)
    path.write_text(SEEDED)
    cli("--no-cache", "--fix", str(path), cwd=root)
    assert client.texts[u] == path.read_text()
    diags = await client.diagnostics_for(u, version=version)
    assert not {d.code for d in diags} & {"KL202", "KL301"}

    # hover on a finding: the text `karpathy-lint rule CODE` prints
    client.replace(u, SEEDED)
    diags = await client.diagnostics_for(u, version=client.versions[u])
    kl202 = next(d for d in diags if d.code == "KL202")
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=u), position=kl202.range.start))
    assert hover.contents.value == cli("rule", "KL202", cwd=root).stdout
    assert hover.contents.kind == types.MarkupKind.Markdown

    # closing publishes an empty list; shutdown then exit ends the process with code 0
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=u)))
    assert await client.next_diagnostics(u) == []
    await client.shutdown_session()
    assert client.exit_code == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("profile", ["vscode", "neovim", "utf32"])
@pytest.mark.parametrize("suffix", [".py", ".cu"])
async def test_positions_with_emoji_and_cjk(one_client: EditorClient, profile: str, suffix: str):
    """Emoji (two UTF-16 units, four UTF-8 bytes) and CJK (one unit, three bytes) before a finding, in
    both languages and all three encodings; the quick fix lands on the right characters."""
    client = one_client
    root = client.root
    if suffix == ".py":
        text, line = SEEDED, EMOJI_LINE
    else:
        line = '  const char* s = "😀 中文 ok";  // karpathy: 256 threads per block is a safe default'
        text = CU.replace("  // Karpathy: 256 threads per block is a safe default on every GPU since Kepler", line)
    path = root / f"seeded{suffix}"
    path.write_text(text)
    result = await start(client, profile, folders=[str(root)])
    expected = {"vscode": "utf-16", "neovim": "utf-8", "utf32": "utf-32"}[profile]
    assert result.capabilities.position_encoding == expected
    u = uri(path)
    client.open(u, text, "cuda" if suffix == ".cu" else "python")
    diags = await client.diagnostics_for(u, version=1)
    (kl301,) = [d for d in diags if d.code == "KL301"]
    marker = "// karpathy" if suffix == ".cu" else "# karpathy"
    assert kl301.range.start.line == line_index(text, line)
    assert kl301.range.start.character == column_of(line, marker, expected)
    assert kl301.range.end.character == column_of(line + "\n", "\n", expected)
    actions = await code_actions(client, u, [kl301], only=[types.CodeActionKind.QuickFix])
    fix = next(a for a in actions if "KL301" in a.title and "suppress" not in a.title)
    client.apply_workspace_edit(u, fix.edit)
    fixed_line = client.texts[u].splitlines()[line_index(text, line)]
    assert fixed_line.startswith(line[: line.index(marker)]) and "Karpathy: " in fixed_line
    assert "😀 中文 ok" in fixed_line


@pytest.mark.asyncio
async def test_incremental_edits_stay_in_sync_with_odd_line_breaks(client: EditorClient):
    """CRLF line endings, a form feed and a U+2028 in a comment (which `str.splitlines` would split on,
    LSP does not): after incremental edits the server's findings and its fix-all are those of the
    command line on the editor's text."""
    root = client.root
    text = SEEDED.replace("def main():", "\x0c\ndef main():").replace(
        "# Karpathy: one column per expert", "# Karpathy: one column per expert\u2028 (U+2028 here)")
    text = text.replace("\n", "\r\n")
    path = root / "odd.py"
    await start(client, folders=[str(root)])
    u = uri(path)
    client.open(u, text)
    await client.diagnostics_for(u, version=1)
    # the user types below the U+2028 line and fixes the marker on the emoji line, as incremental edits
    lines = text.split("\r\n")
    at = next(i for i, s in enumerate(lines) if "\u2028" in s) + 1
    typed = types.TextEdit(range=types.Range(start=types.Position(line=at, character=0),
                                             end=types.Position(line=at, character=0)), new_text="        # Karpathy: typed\r\n")
    emoji = lines.index(EMOJI_LINE)
    col = column_of(EMOJI_LINE, "karpathy:", client.negotiated)
    fix = types.TextEdit(range=types.Range(start=types.Position(line=emoji, character=col),
                                           end=types.Position(line=emoji, character=col + 1)), new_text="K")
    client.edit(u, [typed])
    version = client.edit(u, [fix])
    diags = await client.diagnostics_for(u, version=version)
    path.write_bytes(client.texts[u].encode())
    proc = cli("--no-cache", "--format", "json", str(path), cwd=root)
    import json

    expected = sorted((f["code"], f["line"] - 1) for f in json.loads(proc.stdout))
    assert sorted((d.code, d.range.start.line) for d in diags) == expected
    assert "KL301" not in {c for c, _ in expected} and "KL202" in {c for c, _ in expected}
    (fix_all,) = await code_actions(client, u, [], only=["source.fixAll.karpathy-lint"])
    client.apply_workspace_edit(u, fix_all.edit)
    cli("--no-cache", "--fix", str(path), cwd=root)
    assert client.texts[u].encode() == path.read_bytes()


# -- code actions: suppress, filtering by source and version -------------------------------------------


@pytest.mark.asyncio
async def test_suppress_on_this_line_and_foreign_diagnostics(client: EditorClient):
    root = client.root
    path = root / "router.py"
    path.write_text(SEEDED)
    await start(client, folders=[str(root)])
    u = uri(path)
    client.open(u, SEEDED)
    diags = await client.diagnostics_for(u, version=1)
    kl202 = next(d for d in diags if d.code == "KL202")
    # another tool's diagnostic on the same range gets no action of ours
    foreign = types.Diagnostic(range=kl202.range, message="x", code="KL202", source="other-linter")
    assert await code_actions(client, u, [foreign]) == []
    # a diagnostic without `data` (as some clients send it back) still gets its actions, rebuilt from
    # uri, version, range and code
    bare = types.Diagnostic(range=kl202.range, message=kl202.message, code=kl202.code, source=kl202.source)
    actions = await code_actions(client, u, [bare], only=[types.CodeActionKind.QuickFix])
    suppress = next(a for a in actions if a.title.startswith("karpathy-lint: suppress KL202"))
    assert suppress.is_preferred is None
    version = client.apply_workspace_edit(u, suppress.edit)
    helper_line = client.texts[u].splitlines()[line_index(SEEDED, "def helper")]
    assert helper_line == "def helper(a, b):  # karpathy-lint: ignore[KL202]"
    diags = await client.diagnostics_for(u, version=version)
    assert "KL202" not in {d.code for d in diags}
    # a header finding is suppressed with the directive on its docstring line (no `#` inside the docstring)
    text = client.texts[u].replace("route(x, w, top_k) - Score", "route(x, top_k) - Score")
    version = client.replace(u, text)
    diags = await client.diagnostics_for(u, version=version)
    params = next(d for d in diags if d.code == "KL203")
    actions = await code_actions(client, u, [params], only=[types.CodeActionKind.QuickFix])
    suppress = next(a for a in actions if a.title.startswith("karpathy-lint: suppress"))
    version = client.apply_workspace_edit(u, suppress.edit)
    changed = client.texts[u].splitlines()[params.range.start.line]
    assert changed == "route(x, top_k) - Score tokens against experts and keep the best top_k,  karpathy-lint: ignore[KL203]"
    assert "KL203" not in {d.code for d in await client.diagnostics_for(u, version=version)}


@pytest.mark.asyncio
async def test_unsafe_fix_is_labelled_and_never_preferred(client: EditorClient):
    root = client.root
    text = PY.replace("main() - A tiny demo", "gone(y) - Nothing\nmain() - A tiny demo")
    path = root / "stale.py"
    path.write_text(text)
    await start(client, folders=[str(root)])
    u = uri(path)
    client.open(u, text)
    diags = await client.diagnostics_for(u, version=1)
    stale = next(d for d in diags if d.code == "KL201")
    if client.profile == "vscode":
        assert list(stale.tags) == [types.DiagnosticTag.Unnecessary]
    actions = await code_actions(client, u, [stale], only=[types.CodeActionKind.QuickFix])
    fix = next(a for a in actions if "KL201" in a.title and "suppress" not in a.title)
    assert "unsafe" in fix.title and not fix.is_preferred
    # fix-all applies safe fixes only: the stale entry stays
    assert await code_actions(client, u, [], only=["source.fixAll.karpathy-lint"]) == []


# -- config ------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_config_change_is_picked_up(client: EditorClient):
    """VS Code watches files for the server (dynamic registration); Neovim cannot, so the server polls."""
    root = client.root
    path = root / "router.py"
    path.write_text(SEEDED)
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n')
    await start(client, folders=[str(root)])
    watched = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    assert bool(watched) == (client.profile == "vscode")
    u = uri(path)
    client.open(u, SEEDED)
    assert "KL301" in {d.code for d in await client.diagnostics_for(u, version=1)}
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.karpathy-lint]\nignore = ["KL301"]\n')
    config_changed(client, root / "pyproject.toml")
    for _ in range(20):
        diags = await client.next_diagnostics(u)
        if "KL301" not in {d.code for d in diags}:
            break
    assert "KL301" not in {d.code for d in diags} and "KL202" in {d.code for d in diags}


@pytest.mark.asyncio
async def test_bad_key_is_a_diagnostic_on_that_key(client: EditorClient):
    root = client.root
    path = root / "router.py"
    path.write_text(SEEDED)
    pyproject = root / "pyproject.toml"
    good = '[project]\nname = "x"\n\n[tool.karpathy-lint]\nignore = ["KL202"]\n'
    pyproject.write_text(good)
    await start(client, folders=[str(root)])
    u = uri(path)
    client.open(u, SEEDED)
    assert "KL202" not in {d.code for d in await client.diagnostics_for(u, version=1)}
    # the config breaks mid-session: the key is underlined, the document is still linted (defaults)
    pyproject.write_text(good + "select-all = true\n")
    config_changed(client, pyproject)
    config_diags = await client.diagnostics_for(uri(pyproject), timeout=20)
    (bad,) = config_diags
    assert bad.range.start.line == 5 and bad.range.start.character == 0 and bad.range.end.character == len("select-all")
    assert "unknown key `select-all`" in bad.message
    assert "KL202" in {d.code for d in await client.diagnostics_for(u, version=1)}
    assert any("select-all" in m.message for m in client.log_messages)
    # the user opens pyproject.toml to fix it: the key stays underlined in the open document
    client.open(uri(pyproject), pyproject.read_text(), "toml")
    assert [d.message for d in await client.diagnostics_for(uri(pyproject), version=1)] == [bad.message]
    # repaired: the config diagnostic is cleared and the settings apply again
    pyproject.write_text(good)
    config_changed(client, pyproject)
    assert await client.next_diagnostics(uri(pyproject)) == []


@pytest.mark.asyncio
async def test_editor_settings_through_workspace_configuration(client: EditorClient):
    root = client.root
    path = root / "router.py"
    path.write_text(SEEDED)
    client.set_configuration({"karpathy-lint": {"ignore": ["KL301"]}})
    await start(client, folders=[str(root)])
    u = uri(path)
    client.open(u, SEEDED)
    diags = await client.diagnostics_for(u, version=1)
    assert "KL301" not in {d.code for d in diags} and "KL202" in {d.code for d in diags}
    # changed without a restart: didChangeConfiguration -> workspace/configuration
    client.set_configuration({"karpathy-lint": {"select": ["KL301"]}})
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    for _ in range(5):
        diags = await client.next_diagnostics(u)
        if {d.code for d in diags} == {"KL301"}:
            break
    assert {d.code for d in diags} == {"KL301"}


@pytest.mark.asyncio
async def test_folders_excludes_and_no_workspace(client: EditorClient):
    """Each workspace folder has its own config; an excluded file gets nothing; a folder added later
    counts; a file outside every folder uses its own folder's config, not the server's directory."""
    a, b, loose = client.root / "a", client.root / "b", client.root / "loose"
    for folder, table in ((a, 'ignore = ["KL202"]\nextend-exclude = ["gen/"]'), (b, 'ignore = ["KL301"]'),
                          (loose, 'ignore = ["KL301", "KL202"]')):
        (folder / "gen").mkdir(parents=True)
        (folder / "karpathy-lint.toml").write_text(table + "\n")
        (folder / "m.py").write_text(SEEDED)
        (folder / "gen" / "g.py").write_text(SEEDED)
    await start(client, folders=[str(a)])
    for f in (a / "m.py", a / "gen" / "g.py", b / "m.py", loose / "m.py"):
        client.open(uri(f), SEEDED)
    codes = {f: {d.code for d in await client.diagnostics_for(uri(f), version=1)}
             for f in (a / "m.py", a / "gen" / "g.py", b / "m.py", loose / "m.py")}
    assert "KL202" not in codes[a / "m.py"] and "KL301" in codes[a / "m.py"]
    assert codes[a / "gen" / "g.py"] == set()
    assert "KL301" not in codes[b / "m.py"] and "KL202" in codes[b / "m.py"]
    assert not codes[loose / "m.py"] & {"KL301", "KL202"}
    client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(event=types.WorkspaceFoldersChangeEvent(
        added=[types.WorkspaceFolder(uri=uri(b), name="b")], removed=[])))
    diags = await client.next_diagnostics(uri(b / "m.py"))
    assert "KL301" not in {d.code for d in diags}


@pytest.mark.asyncio
async def test_no_workspace_uses_the_files_own_folder(client: EditorClient):
    """No workspace folders and no root: a file's config is found from its own folder (the server's
    current directory, the repository this test runs in, plays no part)."""
    folder = client.root / "loose"
    folder.mkdir()
    (folder / "karpathy-lint.toml").write_text('ignore = ["KL301"]\nextend-exclude = ["skip_*.py"]\n')
    await start(client)
    for name in ("m.py", "skip_me.py"):
        (folder / name).write_text(SEEDED)
        client.open(uri(folder / name), SEEDED)
    codes = {d.code for d in await client.diagnostics_for(uri(folder / "m.py"), version=1)}
    assert "KL301" not in codes and "KL202" in codes
    assert await client.diagnostics_for(uri(folder / "skip_me.py"), version=1) == []


# -- debounce and versions ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_rapid_edits_publish_only_current_versions(client: EditorClient):
    root = client.root
    path = root / "router.py"
    path.write_text(PY)
    await start(client, folders=[str(root)])
    u = uri(path)
    client.open(u, PY)
    assert await client.diagnostics_for(u, version=1) == []
    for i in range(29):  # a burst of keystrokes, one change each
        client.replace(u, PY + "#" * i)
    client.replace(u, PY.replace("def main():\n", "def main():\n    # karpathy: x\n"))
    final = client.versions[u]
    diags = await client.diagnostics_for(u, version=final)
    assert "KL301" in {d.code for d in diags}
    versions = [p.version for p in client.published if p.uri == u]
    assert versions == sorted(versions), versions  # never an older version after a newer one
    assert len(versions) < 12, versions  # the burst was coalesced, not linted 30 times


# -- robustness --------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_robustness(client: EditorClient):
    root = client.root
    path = root / "router.py"
    path.write_text(SEEDED)
    await start(client, folders=[str(root)])
    u = uri(path)
    # an unknown request gets an error response; the server keeps serving
    with pytest.raises(JsonRpcMethodNotFound):
        await client.protocol.send_request_async("karpathy/unknown", {})
    # a malformed message (invalid JSON) is logged, not fatal
    client.protocol.writer.write(b"Content-Length: 9\r\n\r\n{not json")
    for _ in range(500):
        if any("internal error" in m.message for m in client.log_messages):
            break
        await asyncio.sleep(0.01)
    assert any(m.type == types.MessageType.Error and "internal error" in m.message for m in client.log_messages)
    # a document that does not parse is a KL001 finding at its line
    broken = SEEDED.replace("def route(x, w, top_k):", "def route(x, w, top_k)")
    client.open(u, broken)
    diags = await client.diagnostics_for(u, version=1)
    assert [d.code for d in diags] == ["KL001"]
    assert diags[0].range.start.line == line_index(broken, "def route(")
    # and is fine again once repaired
    version = client.replace(u, SEEDED)
    assert "KL301" in {d.code for d in await client.diagnostics_for(u, version=version)}
    # a command on a document that is not open: an error response, not a crash
    with pytest.raises(JsonRpcInvalidParams, match="needs the URI of an open file"):
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="karpathy-lint.scaffold", arguments=[uri(root / "nope.py")]))
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=u), position=types.Position(line=0, character=0)))
    assert hover is None or hover.contents.value
    await client.shutdown_session()
    assert client.exit_code == 0


@pytest.mark.asyncio
async def test_scaffold_command_through_apply_edit(client: EditorClient):
    root = client.root
    body = PY[PY.index("from dataclasses"):]
    path = root / "bare.py"
    path.write_text(body)
    await start(client, folders=[str(root)])
    u = uri(path)
    client.open(u, body)
    assert "KL101" in {d.code for d in await client.diagnostics_for(u, version=1)}
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="karpathy-lint.scaffold", arguments=[u]))
    assert result["applied"] is True and result["action"] == "header added"
    assert path.read_text() == body  # the server never writes the file itself
    # the editor's text is what karpathy-scaffold writes for the same file
    scaffold_cli(path)
    assert client.texts[u] == path.read_text()
    diags = await client.diagnostics_for(u, version=client.versions[u])
    assert "KL101" not in {d.code for d in diags}


# -- without the extra -------------------------------------------------------------------------------------


def test_without_the_server_extra_one_line_and_exit_2(tmp_path):
    """pygls hidden from the import system (as if not installed): one line saying what to install."""
    code = ("import sys; sys.modules['pygls'] = None; sys.argv = ['karpathy-lint', 'server'];"
            "from karpathy_lint.cli import entry; entry()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ}, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "karpathy-lint: error: the language server needs the `server` extra: pip install 'karpathy-lint[server]'"]


def test_exit_without_shutdown_is_code_1(tmp_path):
    import json

    def frame(obj) -> bytes:
        body = json.dumps(obj).encode()
        return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)

    msgs = frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None,
                                                                                  "rootUri": None}})
    msgs += frame({"jsonrpc": "2.0", "method": "exit"})
    proc = subprocess.run(SERVER, input=msgs, capture_output=True, cwd=tmp_path, timeout=60, check=False)
    assert proc.returncode == 1
    assert proc.stdout.startswith(b"Content-Length:")  # only LSP frames on stdout
