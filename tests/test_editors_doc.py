"""docs/editors.md: each editor's snippet is parsed, and exactly its command line and settings are
launched against the real server (the editor itself is not needed), with that editor's capabilities."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest.importorskip("pytest_lsp")

from lsp_client import make_client
from lsprotocol import types
from pytest_lsp import client_capabilities

pytestmark = [pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")]

DOC = Path(__file__).resolve().parent.parent / "docs" / "editors.md"
PY = (Path(__file__).parent / "data" / "clean_router.py").read_text()
# `route` loses its shape comments: KL306 on the command line; every snippet's settings ignore KL306
NO_SHAPES = PY.replace("    # Karpathy: scores shape [tokens, n_experts], one score per expert\n", "").replace(
    "    # Karpathy: weights shape [tokens, top_k]; softmax makes each row sum to one\n",
    "    # Karpathy: softmax makes each row sum to one\n").replace("# Karpathy: keep the best", "# karpathy: keep the best")


def blocks() -> dict[str, list[tuple[str, str]]]:
    """Fenced code blocks of the doc by `## ` section: {section: [(info, code)]}."""
    from markdown_it import MarkdownIt

    out: dict[str, list[tuple[str, str]]] = {}
    section = ""
    tokens = MarkdownIt().parse(DOC.read_text())
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag == "h2":
            section = tokens[i + 1].content
        elif tok.type == "fence":
            out.setdefault(section, []).append((tok.info.strip(), tok.content))
    return out


def lua_value(src: str):
    """A Lua table constructor of strings, numbers, booleans and tables -> Python (enough for the doc)."""
    token = re.compile(r"""\s*(\{|\}|,|=|\[\s*'[^']*'\s*\]|\[\s*"[^"]*"\s*\]|'[^']*'|"[^"]*"|true|false|-?\d+|[A-Za-z_]\w*)""")
    tokens, pos = [], 0
    while src[pos:].strip():
        m = token.match(src, pos)
        assert m, f"cannot parse Lua at {src[pos:pos + 30]!r}"
        tokens.append(m.group(1))
        pos = m.end()
    i = 0

    def take():
        nonlocal i
        i += 1
        return tokens[i - 1]

    def value():
        tok = take()
        if tok == "{":
            items, fields = [], {}
            while tokens[i] != "}":
                if tokens[i] == ",":
                    take()
                    continue
                if tokens[i + 1] == "=" and (tokens[i].startswith("[") or tokens[i][0].isalpha()):
                    key = take().strip("[]").strip().strip("'\"")
                    take()  # "="
                    fields[key] = value()
                else:
                    items.append(value())
            take()  # "}"
            return fields if fields else items
        if tok[0] in "'\"":
            return tok[1:-1]
        if tok in ("true", "false"):
            return tok == "true"
        return int(tok)

    return value()


def lua_field(code: str, name: str):
    """The value of `name = {...}` in a Lua snippet."""
    start = re.search(rf"\b{name}\s*=\s*\{{", code).end() - 1
    depth = 0
    for i in range(start, len(code)):
        depth += {"{": 1, "}": -1}.get(code[i], 0)
        if depth == 0:
            return lua_value(code[start : i + 1])
    raise AssertionError(f"unterminated {name}")


def snippets():
    b = blocks()
    vscode = json.loads(next(c for info, c in b["VS Code"] if info == "json" and "glspc.server.command" in c))
    on_save = json.loads(next(c for info, c in b["VS Code"] if "codeActionsOnSave" in c))
    assert list(on_save["editor.codeActionsOnSave"]) == ["source.fixAll.karpathy-lint"]
    assert {"python", "cuda-cpp"} <= set(vscode["glspc.server.languageId"])
    lua = next(c for info, c in b["Neovim"] if info == "lua")
    assert "vim.lsp.enable('karpathy_lint')" in lua
    assert set(lua_field(lua, "filetypes")) == {"python", "cuda"}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    helix = tomllib.loads(next(c for info, c in b["Helix"] if info == "toml"))
    server = helix["language-server"]["karpathy-lint"]
    assert all("karpathy-lint" in lang["language-servers"] for lang in helix["language"])
    helix_caps = types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=["utf-8", "utf-32", "utf-16"]),
        workspace=types.WorkspaceClientCapabilities(configuration=True, workspace_folders=True),
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)))
    return {
        # editor: (command line, initializationOptions, workspace/configuration store, capabilities)
        "vscode": ([vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]],
                   vscode.get("glspc.server.initializationOptions"), {}, client_capabilities("visual-studio-code")),
        "neovim": (lua_field(lua, "cmd"), None, lua_field(lua, "settings"), client_capabilities("neovim")),
        "helix": ([server["command"], *server.get("args", [])], server.get("config"), server.get("config", {}),
                  helix_caps),
    }


def test_the_seeded_file_has_the_findings_the_snippets_turn_off(tmp_path):
    path = tmp_path / "router.py"
    path.write_text(NO_SHAPES)
    out = subprocess.run([sys.executable, "-m", "karpathy_lint", "--no-cache", "--format", "json", str(path)],
                         capture_output=True, text=True, check=False).stdout
    assert {f["code"] for f in json.loads(out)} == {"KL301", "KL306"}


@pytest.mark.asyncio
@pytest.mark.parametrize("editor", ["vscode", "neovim", "helix"])
async def test_snippet_launches_the_server_with_its_settings(editor, tmp_path):
    cmd, init_options, configuration, capabilities = snippets()[editor]
    assert cmd == ["karpathy-lint", "server"]
    # the console script the install puts next to this Python, as the editor would find it on PATH
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    client = make_client()
    await client.start_io(*cmd, env=env, cwd=str(tmp_path))
    try:
        for section, value in configuration.items():
            client.set_configuration(value, section=section)
        await client.start(capabilities, folders=[str(tmp_path)], options=init_options)
        path = tmp_path / "router.py"
        path.write_text(NO_SHAPES)
        client.open(path.as_uri(), NO_SHAPES)
        diags = await client.diagnostics_for(path.as_uri(), version=1)
        # the snippet's settings reached the server: KL306 ignored, KL301 still reported
        assert {d.code for d in diags} == {"KL301"}
        await client.shutdown_session()
        assert client.exit_code == 0
    finally:
        await client.stop()
