"""Handing a landed file to DuckDB by its exact name, and reading it whole or not at all."""

import gzip
import zlib
from pathlib import Path

import duckdb

from orchestration.loader.ledger import LandingFile, UnreadableFileError

# What reading a broken file raises: DuckDB's errors, and Python's for gzip and I/O.
FILE_ERRORS = (duckdb.Error, OSError, EOFError, zlib.error)
# DuckDB repeats the query after its message; the query names our alias, not the landed file.
_QUERY_ECHO = "\n\nLINE "


def readable_alias(file: LandingFile, workdir: Path, key: str) -> Path:
    """A symlink to the landed file under a plain name of ours, to hand to read_csv/read_parquet.

    DuckDB's readers take * ? [ ] in a path for a glob pattern (on duckdb 1.5 `brackets[1].jsonl` reads
    `brackets1.jsonl` and `q?.jsonl` also reads `qa.jsonl`); an escape like `[[]` still globs the whole
    folder, so a landed file is never handed over under its own name. The alias's suffix is the file's
    normalised format, which also lets DuckDB see that `DAY.JSON.GZ` is gzipped.
    """
    alias = workdir / f"{key}.{file.format}"
    alias.symlink_to(file.absolute.resolve())
    return alias


def unreadable(file: LandingFile, error: Exception, alias: Path | None = None) -> UnreadableFileError:
    """The error as the file's owner should read it: naming the landed file, without our query."""
    text = str(error).split(_QUERY_ECHO)[0].strip() or type(error).__name__
    if alias is not None:
        text = text.replace(str(alias), file.path)
    return UnreadableFileError(text)


def ensure_whole_gzip(file: LandingFile) -> None:
    """Raise UnreadableFileError when a gzip file is cut short or is not gzip.

    DuckDB reads a truncated gzip file without complaint as far as it goes, so a partial upload would load
    half its lines. Decompressing once in Python (C zlib, nothing kept) finds the missing end first.
    """
    try:
        with gzip.open(file.absolute, "rb") as stream:
            while stream.read(1 << 24):
                pass
    except FILE_ERRORS as error:
        raise unreadable(file, error) from error
