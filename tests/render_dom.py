"""Read a rendered page's DOM contract with the standard library's HTML parser (no browser):
the text of every `.code` element, in order, and what each `.section` holds."""
from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Contract(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[set[str]] = []  # classes of each open element
        self.codes: list[list[str]] = []
        self.sections: list[dict[str, int]] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.shapes: dict[str, str] = {}  # line id -> data-shape

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if "data-shape" in a:
            self.shapes[a.get("id", "")] = a["data-shape"]
        if tag in VOID:
            return
        if "section" in classes:
            self.sections.append({"prose": 0, "code": 0})
        if self.sections and any("section" in c for c in self.stack + [classes]):
            for key in ("prose", "code"):
                if key in classes:
                    self.sections[-1][key] += 1
        if "code" in classes:
            if any("code" in c for c in self.stack):
                raise AssertionError("a .code inside a .code")
            self.codes.append([])
        self.stack.append(classes)

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if any("code" in c for c in self.stack):
            self.codes[-1].append(data)


def read_contract(html: str) -> _Contract:
    parser = _Contract()
    parser.feed(html)
    parser.close()
    return parser


def code_text(html: str) -> str:
    """The concatenated text of every `.code` element."""
    return "".join("".join(parts) for parts in read_contract(html).codes)


def source_lines(data: bytes) -> list[str]:
    """A file's lines as the contract states them: split at `\\n`, line endings dropped, BOM dropped."""
    text = data.decode("utf-8")
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]
