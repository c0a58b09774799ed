"""`karpathy-lint server`: a language server (LSP over stdio) on the linter's engine.

A thin layer: documents are linted with `engine.lint_source`, settings come
from `config.ConfigResolver`, fixes from the rules' edits and `fixer`, hover
text from `docs.render_rules`, the header from `codemods.scaffold`. Needs the
`server` extra (pygls, lsprotocol); this module imports neither until `run`.
"""
from __future__ import annotations

EXTRA_HINT = "the language server needs the `server` extra: pip install 'karpathy-lint[server]'"


def missing_dependency() -> str | None:
    """The name of a missing optional dependency, or None when the server can start."""
    for name in ("lsprotocol", "pygls"):
        try:
            __import__(name)
        except ImportError:
            return name
    return None


def run() -> int:
    """Serve over stdio until the client exits; the exit code follows the LSP (0 after `shutdown`)."""
    from karpathy_lint.server.app import serve

    return serve()
