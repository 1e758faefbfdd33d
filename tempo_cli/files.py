"""Writing a small file whole or not at all, for every layer (weights, checkpoints, reports)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tempo_cli.errors import TempoError


def temporary_name(path: Path) -> Path:
    """Where `write_atomically` writes `path` first: NAME.tempo.tmp, a name of tempo's own (a user's NAME.tmp stays)."""
    return path.with_name(path.name + ".tempo.tmp")


def write_atomically(path: Path, data: bytes | memoryview) -> None:
    """Write `data` to `temporary_name(path)` beside `path`, then rename it onto `path`: never a partial file.

    A file that is replaced keeps its permission bits. A failure (a full disk) removes the temporary file and is a
    TempoError naming `path` and the reason.
    """
    tmp = temporary_name(path)
    try:
        tmp.write_bytes(data)
        if path.exists():
            shutil.copymode(path, tmp)
        tmp.replace(path)
    except OSError as exc:
        raise TempoError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
