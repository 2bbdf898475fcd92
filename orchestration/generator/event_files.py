"""Writes a day's event lines as files under events/YYYY/MM/DD/: JSONL, gzipped JSONL or Parquet, with planted
re-deliveries and bad lines, counting every line written.

Files of a day are its events cut in time order, so Python's sorted() of the paths is chronological: apart
from planted late events, no file holds an event older than one in a file sorted before it.
"""

import gzip
import random
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb

from orchestration.generator.clock import DAY_MS
from orchestration.generator.faults import BadLine
from orchestration.generator.stream import BufferedLine
from orchestration.generator.truth import EventCounts

MAX_LINES_PER_FILE = 75_000
LATE_ARRIVAL_DAYS = 3  # the dbt var late_arrival_days: lateness above it is counted apart
# Rotates per file, so every format holds every kind of event.
FORMATS = ("jsonl.gz", "parquet", "jsonl")
_FORMAT_KEY = {"jsonl.gz": "jsonl_gz", "parquet": "parquet", "jsonl": "jsonl"}
SHARE_REDELIVERED_IN_FILE = 0.006  # a tracker retry that landed a few lines further down the same file
SHARE_REDELIVERED_LATER = 0.004  # a retry that landed in the next file
_REDELIVERY_REACH = 300  # lines between an event and its copy in the same file
_PARQUET_COLUMNS = {
    "event_id": "VARCHAR",
    "event_name": "VARCHAR",
    "occurred_at": "VARCHAR",
    "sent_at": "VARCHAR",
    "anonymous_id": "VARCHAR",
    "user_id": "VARCHAR",
    "page": "JSON",
    "campaign": "JSON",
    "context": "JSON",
    "properties": "JSON",
}


class EventFiles:
    def __init__(self, folder: Path, workdir: Path, rng: random.Random, counts: EventCounts):
        self._folder = folder
        self._workdir = workdir
        self._rng = rng
        self._counts = counts
        self._for_next_file: list[BufferedLine] = []
        self._bad_lines: list[BadLine] = []
        self._newest_ms = 0  # newest occurred_at of the valid events in the files written so far
        self._duckdb = duckdb.connect()
        # Compression and Parquet encoding release the GIL: one file is written while the next day is simulated.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-files")
        self._writing: Future | None = None

    def plant(self, bad_lines: list[BadLine]) -> None:
        """Bad lines wait for the next text file (they cannot be written into Parquet)."""
        self._bad_lines.extend(bad_lines)

    def write_day(
        self, day: date, day_index: int, late: list[BufferedLine], own: list[BufferedLine], *, is_last_day: bool
    ) -> None:
        late.sort(key=lambda line: line[0])
        self._measure_lateness(late)
        sequence = late + own  # late arrivals open the day's first file
        chunks = [sequence[i : i + MAX_LINES_PER_FILE] for i in range(0, len(sequence), MAX_LINES_PER_FILE)]
        if not chunks and is_last_day:
            chunks = [[]]  # re-deliveries held for the next file still need one
        for number, chunk in enumerate(chunks):
            is_last_file = is_last_day and number == len(chunks) - 1
            file_format = FORMATS[(day_index + number) % len(FORMATS)]
            if is_last_file and self._bad_lines:
                file_format = "jsonl"
            path = self._folder / f"{day:%Y/%m/%d}" / f"batch-{number:03d}.{file_format}"
            lines = self._compose(chunk, file_format, is_last_file)
            if chunk:
                self._newest_ms = max(self._newest_ms, max(line[0] for line in chunk))
            self._finish_writing()
            self._writing = self._writer.submit(self._write, path, file_format, lines)
            self._counts.files[_FORMAT_KEY[file_format]] += 1
            self._counts.lines += len(lines)

    def _measure_lateness(self, late: list[BufferedLine]) -> None:
        """Late as CONTRACT section 7 means it: older than an event the warehouse processed before (a held-back
        event that was its day's newest is not). The planted lags keep the 3-day split unambiguous."""
        for ms, _, _ in late:
            if ms < self._newest_ms:
                days_late = (self._newest_ms - ms) / DAY_MS
                self._counts.late["over_3_days" if days_late > LATE_ARRIVAL_DAYS else "up_to_3_days"] += 1

    def _compose(self, chunk: list[BufferedLine], file_format: str, is_last_file: bool) -> list[str | bytes]:
        rng = self._rng
        counts = self._counts
        last = len(chunk) - 1
        after: dict[int, list[str | bytes]] = {}  # line index -> extra lines written right after it
        for _, text, _ in self._for_next_file:
            after.setdefault(rng.randrange(-1, last + 1), []).append(text)
        self._for_next_file = []
        for index, (_, text, flags) in enumerate(chunk):
            r = rng.random()
            if r < SHARE_REDELIVERED_IN_FILE:
                after.setdefault(min(last, index + rng.randrange(_REDELIVERY_REACH)), []).append(text)
            elif r < SHARE_REDELIVERED_IN_FILE + SHARE_REDELIVERED_LATER and not is_last_file:
                self._for_next_file.append((0, text, flags))
            else:
                continue
            counts.duplicates += 1
            counts.count_pii(flags)
        if file_format != "parquet":
            self._place_bad_lines(after, last, plain=file_format == "jsonl")
        lines: list[str | bytes] = after.pop(-1, [])
        for index, (_, text, _) in enumerate(chunk):
            lines.append(text)
            lines.extend(after.get(index, ()))
        return lines

    def _place_bad_lines(self, after: dict[int, list[str | bytes]], last: int, *, plain: bool) -> None:
        """Anywhere but after the last line: a blank last line would read as the file's end."""
        if last < 0:
            return
        kept = []
        for bad in self._bad_lines:
            if isinstance(bad.payload, bytes) and not plain:
                kept.append(bad)  # undecodable bytes go to plain .jsonl files only
                continue
            after.setdefault(self._rng.randrange(-1, last), []).append(bad.payload)
            counts = self._counts
            counts.rejected[bad.reason] += 1
            for key, n in (("emails", bad.emails), ("phones", bad.phones), ("ipv4", bad.ipv4)):
                counts.pii[key] += n
                counts.pii_in_rejected[key] += n
        self._bad_lines = kept

    def _write(self, path: Path, file_format: str, lines: list[str | bytes]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if any(isinstance(line, bytes) for line in lines):
            data = b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines) + b"\n"
        else:
            data = ("\n".join(lines) + "\n").encode()
        if file_format == "jsonl":
            path.write_bytes(data)
        elif file_format == "jsonl.gz":
            # mtime=0 and no file name in the header: the same seed gives byte-identical files.
            with (
                path.open("wb") as raw,
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=1) as gz,
            ):
                gz.write(data)
        else:
            self._write_parquet(path, data)

    def _write_parquet(self, path: Path, data: bytes) -> None:
        staging = self._workdir / "parquet-staging.jsonl"
        staging.write_bytes(data)
        self._duckdb.execute(
            f"copy (select * from read_json('{_sql_text(staging)}', format = 'newline_delimited', "
            f"columns = $columns)) to '{_sql_text(path)}' (format parquet, compression zstd)",
            {"columns": _PARQUET_COLUMNS},
        )
        staging.unlink()

    def _finish_writing(self) -> None:
        if self._writing is not None:
            self._writing.result()  # re-raises a failed write here
            self._writing = None

    def close(self) -> None:
        self._finish_writing()
        self._writer.shutdown()
        self._duckdb.close()
        if self._bad_lines:
            raise RuntimeError(f"{len(self._bad_lines)} planted bad lines found no text file to go to")


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")
