"""karpathy-lint: check and write Karpathy-style teaching comments."""

__version__ = "0.1.0"


def _checkout_subpackages() -> None:
    """In a source checkout, load `rules/` and `codemods/` as `karpathy_lint.rules` / `karpathy_lint.codemods`.

    Installed (wheel or editable), setuptools maps those two folders to the two
    subpackages and this does nothing. Run from a checkout (`PYTHONPATH=.` or the
    current folder), they sit beside this package: each is registered under its
    package name, and nothing else of the checkout (tests/, bench/, corpus/)
    becomes part of the package.
    """
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    for name in ("rules", "codemods"):
        full = f"{__name__}.{name}"
        folder = os.path.join(root, name)
        init = os.path.join(folder, "__init__.py")
        if full in sys.modules or os.path.isdir(os.path.join(here, name)) or not os.path.isfile(init):
            continue
        from importlib.util import module_from_spec, spec_from_file_location

        spec = spec_from_file_location(full, init, submodule_search_locations=[folder])
        if spec is None or spec.loader is None:  # pragma: no cover - a readable __init__.py always has one
            continue
        module = module_from_spec(spec)
        sys.modules[full] = module
        spec.loader.exec_module(module)
        globals()[name] = module


_checkout_subpackages()
