"""IPython syntax in a code cell, masked with same-length Python before parsing.

IPython accepts more than Python: line magics (`%matplotlib inline`), a cell
magic on the first line (`%%time`), shell escapes (`!pip install x`),
assignments from either (`files = !ls`, `t = %timeit -o f()`), help
(`foo?`, `??foo`) and automagics (`pip install x` without the `%`). A
masked cell keeps every byte offset: the syntax is replaced by `0` and
spaces (a valid expression statement, also as the only statement of an
indented block), continuation lines by spaces, line endings untouched.

Only the start of a logical line can hold IPython syntax: not inside
brackets, strings or after a backslash continuation, so `(a\n % b)` stays
Python. A cell whose cell magic runs another language (`%%bash`,
`%%writefile`, `%%html`, ...) is not Python: `mask_cell` returns None.
"""
from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field

# Cell magics whose body is Python run by the kernel (the rest run another language or write a file)
PYTHON_CELL_MAGICS = frozenset({"capture", "debug", "prun", "pypy", "python", "python3", "time", "timeit"})
# Names IPython runs as magics (or shell aliases) without the `%`, when the line is not Python
AUTOMAGICS = frozenset({
    "aimport", "alias", "autoawait", "autocall", "autoreload", "bookmark", "cat", "cd", "clear", "colors", "conda",
    "config", "cp", "debug", "dhist", "dirs", "doctest_mode", "ed", "edit", "env", "gui", "hist", "history",
    "killbgscripts", "ldir", "less", "lf", "lk", "ll", "load", "load_ext", "logoff", "logon", "logstart", "logstate",
    "logstop", "ls", "lsmagic", "lx", "macro", "magic", "mamba", "man", "matplotlib", "micromamba", "mkdir", "more",
    "mv", "notebook", "page", "pdb", "pdef", "pdoc", "pfile", "pinfo", "pinfo2", "pip", "popd", "pprint", "precision",
    "prun", "psearch", "psource", "pushd", "pwd", "pycat", "pylab", "quickref", "recall", "rehashx", "reload_ext",
    "rerun", "reset", "reset_selective", "rm", "rmdir", "run", "save", "sc", "set_env", "store", "sx", "system",
    "tb", "time", "timeit", "unalias", "unload_ext", "uv", "who", "who_ls", "whos", "xdel", "xmode",
})
_NAME = r"%{0,2}[A-Za-z_*][\w*]*(?:\.[A-Za-z_*][\w*]*)*"
HELP_RE = re.compile(rf"^(?:\?{{1,2}}{_NAME}\??|{_NAME}\?{{1,2}})\s*$")
ASSIGN_RE = re.compile(r"^\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*(?=[!%])")
WORD_RE = re.compile(r"([A-Za-z_]\w*)(\s+)(\S)")
_STRING_START = re.compile(r"(?i)(?:[rbuf]|br|rb|fr|rf)?('''|\"\"\"|'|\")")


@dataclass
class Masked:
    text: str  # same UTF-8 length as the cell's source
    magic_lines: set[int] = field(default_factory=set)  # 0-based lines that are IPython syntax, not code
    spans: list[tuple[int, int]] = field(default_factory=list)  # masked byte ranges in the source


def _blen(s: str) -> int:
    return len(s) if s.isascii() else len(s.encode("utf-8"))


def _fill(s: str, lead: str = "0") -> str:
    """`lead` then spaces: as many UTF-8 bytes as `s`."""
    n = _blen(s)
    return (lead + " " * (n - len(lead))) if n >= len(lead) else " " * n


def _compiles(line: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(line, "<cell>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def magic_start(content: str) -> int | None:
    """Column where IPython syntax starts on a logical line's first physical line, or None for Python."""
    s = content.lstrip()
    indent = len(content) - len(s)
    if not s:
        return None
    if s[0] in "%!" or HELP_RE.match(s):
        return indent
    m = ASSIGN_RE.match(content)
    if m:
        return m.end()
    m = WORD_RE.match(s)
    if m and m.group(1) in AUTOMAGICS and m.group(3) not in "=([{,:;" and _one_line(s) and not _compiles(s.rstrip("\\").rstrip()):
        return indent
    return None


def _one_line(s: str) -> bool:
    """Whether no bracket or string stays open at the line's end (an automagic is one line, perhaps continued
    with a backslash; Python may go on)."""
    scanner = _Scanner()
    scanner.feed(s)
    return scanner.depth == 0 and not scanner.quote


def cell_magic(text: str) -> str | None:
    """The name of the cell magic on the cell's first non-blank line (`%%time` -> "time"), or None."""
    for line in text.split("\n"):
        s = line.strip()
        if not s:
            continue
        if s.startswith("%%"):
            return s[2:].split(None, 1)[0] if len(s) > 2 else ""
        return None
    return None


class _Scanner:
    """Python's lexical state across physical lines: open brackets, open string, backslash continuation."""

    def __init__(self):
        self.depth = 0
        self.quote = ""  # the open string's quote ('', or ' " ''' \"\"\")
        self.continued = False

    @property
    def at_logical_start(self) -> bool:
        return self.depth == 0 and not self.quote and not self.continued

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        self.continued = False
        while i < n:
            if self.quote:
                j = line.find(self.quote, i)
                k = line.find("\\", i)
                if k != -1 and (j == -1 or k < j):
                    if k == n - 1:  # backslash-newline inside a string
                        self.continued = len(self.quote) == 1
                        return
                    i = k + 2
                    continue
                if j == -1:
                    if len(self.quote) == 1:
                        self.quote = ""  # an unterminated one-line string: Python's error, not ours
                    return
                i = j + len(self.quote)
                self.quote = ""
                continue
            ch = line[i]
            if ch == "#":
                return
            if ch == "\\" and i == n - 1:
                self.continued = True
                return
            m = _STRING_START.match(line, i) if ch.isalpha() or ch in "'\"" else None
            if m and (i == 0 or not (line[i - 1].isalnum() or line[i - 1] == "_")):
                self.quote = m.group(1)
                i = m.end()
                continue
            if ch in "([{":
                self.depth += 1
            elif ch in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1


def mask_cell(text: str) -> Masked | None:
    """The cell with its IPython syntax masked, or None when the cell is not Python (a non-Python cell magic)."""
    name = cell_magic(text)
    if name is not None and name not in PYTHON_CELL_MAGICS:
        return None
    lines = text.split("\n")
    out = list(lines)
    result = Masked(text="")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + _blen(line) + 1)
    scanner = _Scanner()
    i = 0
    seen_code = False
    while i < len(lines):
        line = lines[i]
        content = line.removesuffix("\r")
        col = None
        if scanner.at_logical_start:
            if name is not None and not seen_code and content.strip():
                col = len(content) - len(content.lstrip())  # the `%%time` line
            else:
                col = magic_start(content)
            if content.strip():
                seen_code = True
        if col is None:
            scanner.feed(content)
            i += 1
            continue
        # IPython syntax from `col` to the end of the logical line (backslash continuations included)
        last = i
        while last + 1 < len(lines) and _strip_cr(lines[last]).endswith("\\"):
            last += 1
        head = content[:col]
        out[i] = head + _fill(content[col:], "0") + line[len(content):]
        start = offsets[i] + _blen(head)
        for j in range(i + 1, last + 1):
            body = _strip_cr(lines[j])
            out[j] = _fill(body, "") + lines[j][len(body):]
        result.spans.append((start, offsets[last] + _blen(_strip_cr(lines[last]))))
        if not head.strip():
            result.magic_lines.update(range(i, last + 1))
        i = last + 1
    result.text = "\n".join(out)
    return result


def _strip_cr(line: str) -> str:
    return line.removesuffix("\r")
