"""Reading and writing the user's files: bytes in, bytes out, nothing lost.

One place for what every command needs: read a file (one-line errors), decode
it (UTF-8, BOM), tell its line ending, and write it back atomically keeping
its mode.
"""
from __future__ import annotations

import os
import stat

BOM = b"\xef\xbb\xbf"


class InputError(Exception):
    """A file that cannot be checked (unreadable, binary, not UTF-8): one line, no traceback."""


def read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except IsADirectoryError:
        raise InputError("is a directory") from None
    except PermissionError:
        raise InputError("permission denied") from None
    except FileNotFoundError:
        raise InputError("no such file") from None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from None


def decode(source: bytes) -> str:
    """UTF-8 text of a file's bytes (a BOM dropped); InputError for binary or undecodable input."""
    if b"\x00" in source[:8192]:
        raise InputError("binary file (contains NUL bytes)")
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = source.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not valid UTF-8: byte 0x{source[exc.start]:02x} on line {line}") from None
    return text[1:] if text.startswith("\ufeff") else text


def split_bom(source: bytes) -> tuple[bytes, bytes]:
    """(bom, body): offsets in findings and fixes are offsets into the body."""
    return (BOM, source[3:]) if source.startswith(BOM) else (b"", source)


def detect_newline(source: bytes) -> str:
    """The line ending text written into a file uses: CRLF when the file's start holds one, else LF."""
    return "\r\n" if b"\r\n" in source[:4096] else "\n"


def write_atomic(path: str, data: bytes, durable: bool = True) -> None:
    """Replace `path` with `data` via a temp file + rename in the same folder.

    A reader never sees a half-written file, and a crash leaves the old file.
    The file mode is kept. `durable=False` skips the fsync (cache entries: a
    lost one is recomputed; the user's files are always synced).
    """
    import tempfile  # only when writing: a check run never imports it

    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=".karpathy-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
