"""karpathy-lint: check and write Karpathy-style teaching comments."""

__version__ = "0.1.0"


def _source_checkout_layout() -> None:
    """Make `python -m karpathy_lint` work from a source checkout too.

    Installed, `rules/` and `codemods/` are mapped to `karpathy_lint.rules` and
    `karpathy_lint.codemods` (setuptools package-dir). Run from the repository
    root without installing (or with the current folder shadowing an install),
    those two folders sit beside this package instead; extend the package path
    so the same import names find them.
    """
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    if os.path.isdir(os.path.join(here, "rules")):
        return
    root = os.path.dirname(here)
    if os.path.isfile(os.path.join(root, "rules", "__init__.py")) and os.path.isfile(
        os.path.join(root, "codemods", "__init__.py")
    ):
        __path__.append(root)  # type: ignore[name-defined]  # noqa: F821


_source_checkout_layout()
