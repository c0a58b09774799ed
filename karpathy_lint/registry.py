"""Rule discovery: every module under karpathy_lint.rules defines one Rule."""
from __future__ import annotations

import importlib
import pkgutil
from functools import cache, lru_cache

from karpathy_lint.rule import Option, Rule


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    import karpathy_lint.rules as package

    found: list[type[Rule]] = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and value.__module__ == module.__name__:
                found.append(value)
    found.sort(key=lambda r: r.code)
    codes = [r.code for r in found]
    names = [r.name for r in found]
    dupes = {c for c in codes if codes.count(c) > 1} | {n for n in names if names.count(n) > 1}
    if dupes:  # pragma: no cover - a programming error, caught by the test suite
        raise RuntimeError(f"duplicate rule codes or names: {sorted(dupes)}")
    return tuple(found)


def rule_by_key(key: str) -> type[Rule] | None:
    key = key.strip()
    for rule in all_rules():
        if rule.code == key.upper() or rule.name == key.lower():
            return rule
    return None


def resolve_selector(selector: str) -> frozenset[str] | None:
    """Codes named by a selector: ALL, a code, a code prefix or a rule name."""
    s = selector.strip()
    codes = [r.code for r in all_rules()]
    names = {r.name: r.code for r in all_rules()}
    if s.upper() == "ALL":
        return frozenset(codes)
    if s.lower() in names:
        return frozenset({names[s.lower()]})
    up = s.upper()
    if up.startswith("KL") and len(up) >= 3:
        hit = frozenset(c for c in codes if c.startswith(up))
        return hit or None
    return None


def enabled_codes(select, extend_select, ignore) -> frozenset[str]:
    chosen: set[str] = set()
    for s in tuple(select) + tuple(extend_select):
        chosen |= resolve_selector(s) or set()
    for s in ignore:
        chosen -= resolve_selector(s) or set()
    return frozenset(chosen)


@lru_cache(maxsize=1)
def all_options() -> dict[str, tuple[Option, type[Rule]]]:
    """Every rule option by its config key, with the rule that declares it (keys are unique)."""
    out: dict[str, tuple[Option, type[Rule]]] = {}
    for rule in all_rules():
        for option in rule.options:
            if option.key in out:  # pragma: no cover - a programming error, caught by the test suite
                raise RuntimeError(f"option {option.key!r} declared by {out[option.key][1].code} and {rule.code}")
            out[option.key] = (option, rule)
    return out


@cache
def option_default(field: str) -> object:
    """The declared default of the option read as `settings.<field>`; AttributeError for no such option."""
    for option, _ in all_options().values():
        if option.field == field:
            return option.default
    raise AttributeError(field)
