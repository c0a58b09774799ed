"""Codemods: tools that write comments. Installed as karpathy_lint.codemods."""
