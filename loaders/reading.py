"""Finding and reading input files: CSV in UTF-8, UTF-8 with BOM, GBK or GB18030, or Parquet.

Rows come out as ``(line, {column: text})`` where ``line`` is the row's line
number in the file with the header on line 1, the numbering of the rejects file.
For Parquet, ``line`` is the row index + 2, as if the file had a header line.
"""

from __future__ import annotations

import codecs
import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from core.errors import InputValidationError
from core.settings import Settings

logger = logging.getLogger(__name__)

SUPPORTED_ENCODINGS: Final = ("utf-8", "utf-8-sig", "gbk", "gb18030")
_SNIFF_BYTES: Final = 1 << 20
_CHUNK: Final = 1 << 22
#: The input bounds when a caller gives none: the defaults of Settings, their one definition.
DEFAULT_MAX_LINE: Final = int(Settings.model_fields["max_csv_line_bytes"].default)
DEFAULT_MAX_FIELD_CHARS: Final = int(Settings.model_fields["max_field_chars"].default)


@dataclass(frozen=True)
class MalformedRow:
    """A CSV row with fewer or more fields than the header: a reject, never padded."""

    expected: int
    found: int

    @property
    def message(self) -> str:
        return f"the row has {self.found} fields, the header {self.expected}"


@dataclass(frozen=True)
class InputFile:
    """One input file found in a load folder."""

    name: str  # contract file name, e.g. "companies"
    path: Path
    file_format: str  # "csv" or "parquet"
    encoding: str | None  # CSV only


def find_input_files(
    directory: Path, names: tuple[str, ...], encoding: str | None = None
) -> dict[str, InputFile]:
    """Map contract names to the files present (``name.csv`` or ``name.parquet``)."""
    if not directory.is_dir():
        raise InputValidationError(f"input folder not found: {directory}")
    found: dict[str, InputFile] = {}
    for name in names:
        csv_path, parquet_path = directory / f"{name}.csv", directory / f"{name}.parquet"
        if csv_path.is_file() and parquet_path.is_file():
            raise InputValidationError(f"both {csv_path.name} and {parquet_path.name} exist")
        if csv_path.is_file():
            found[name] = InputFile(name, csv_path, "csv", encoding or detect_encoding(csv_path))
        elif parquet_path.is_file():
            found[name] = InputFile(name, parquet_path, "parquet", None)
    return found


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the head decodes as UTF-8, else GB18030.

    GB18030 is a superset of GBK and GB2312, so it reads all three. The whole
    file is checked while it is read; a file that is neither fails there with
    its byte offset.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as error:
        raise InputValidationError(f"cannot read {path}: {error.strerror}") from error
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the end is fine
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _normalise_encoding(encoding: str) -> str:
    lowered = encoding.lower().replace("_", "-")
    if lowered in {"utf8", "utf-8"}:
        return "utf-8"
    if lowered in {"utf8-sig", "utf-8-sig"}:
        return "utf-8-sig"
    if lowered in {"gbk", "cp936", "gb2312", "gb18030"}:
        # GB18030 decodes everything GBK does; decoding as GBK gains nothing.
        return "gb18030"
    raise InputValidationError(
        f"unsupported encoding {encoding!r}; use one of {', '.join(SUPPORTED_ENCODINGS)}"
    )


def read_header(source: InputFile) -> list[str]:
    """Column names of a file, trimmed and lower-cased."""
    if source.file_format == "parquet":
        import pyarrow.parquet as pq

        return [c.strip().lower() for c in pq.read_schema(source.path).names]
    for _, row in _csv_rows(source, header_only=True):
        return [c.strip().lower() for c in row]
    raise InputValidationError(f"{source.path.name} is empty (no header line)")


def has_data_rows(source: InputFile) -> bool:
    """Whether a file holds a row besides its header (0 bytes or a header only: no).

    An empty optional file counts as absent, so an export with no rows that day does not
    stop the load.
    """
    try:
        if source.path.stat().st_size == 0:
            return False
    except OSError as error:
        raise InputValidationError(f"cannot read {source.path}: {error.strerror}") from error
    if source.file_format == "parquet":
        import pyarrow.parquet as pq

        return bool(pq.ParquetFile(source.path).metadata.num_rows)
    for number, (_, row) in enumerate(_csv_rows(source)):
        if number > 0 and any(field.strip() for field in row):
            return True
    return False


def _csv_rows(
    source: InputFile, header_only: bool = False, max_line: int = DEFAULT_MAX_LINE
) -> Iterator[tuple[int, list[str]]]:
    encoding = _normalise_encoding(source.encoding or "utf-8")
    # The csv module's bound is per field and process-wide; a field cannot be longer
    # than its line, so the line bound is the field bound (the default, 128 KiB, would
    # stop the whole load at one long field instead of rejecting its row).
    csv.field_size_limit(max(max_line, csv.field_size_limit()))
    line = 1
    try:
        with source.path.open("r", encoding=encoding, newline="", errors="strict") as handle:
            reader = csv.reader(handle)
            for row in reader:
                if sum(len(field) for field in row) > max_line:
                    raise InputValidationError(
                        f"{source.path.name} line {reader.line_num} is longer than "
                        f"{max_line:,} characters; it cannot be a row",
                        details={"file": source.path.name, "line": reader.line_num},
                    )
                line = reader.line_num
                yield line, row
                if header_only:
                    return
    except UnicodeDecodeError as error:
        raise InputValidationError(
            f"{source.path.name} is not valid {source.encoding}; pass --encoding",
            details={"file": source.path.name, "byte_offset_in_chunk": error.start},
        ) from error
    except csv.Error as error:
        raise InputValidationError(
            f"{source.path.name} is not readable CSV after line {line}: {str(error)[:200]}",
            details={"file": source.path.name, "line": line},
        ) from error
    except OSError as error:
        raise InputValidationError(f"cannot read {source.path}: {error.strerror}") from error


def iter_rows(
    source: InputFile, max_line: int = DEFAULT_MAX_LINE
) -> Iterator[tuple[int, dict[str, str] | MalformedRow]]:
    """Yield ``(line, {column: text})`` for every data row.

    A row with fewer or more fields than the header yields a :class:`MalformedRow`
    instead: guessing which field is missing would load values into the wrong column.
    A line longer than ``max_line`` characters stops the read with one clear error.
    """
    if source.file_format == "parquet":
        yield from _parquet_rows(source)
        return
    header: list[str] | None = None
    for line, row in _csv_rows(source, max_line=max_line):
        if header is None:
            header = [c.strip().lower().lstrip("\ufeff") for c in row]
            continue
        if not any(field.strip() for field in row):
            continue  # blank line
        if len(row) != len(header):
            yield line, MalformedRow(len(header), len(row))
            continue
        yield line, dict(zip(header, row, strict=True))


def _parquet_rows(source: InputFile) -> Iterator[tuple[int, dict[str, str] | MalformedRow]]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(source.path)
    line = 2
    for batch in parquet.iter_batches(batch_size=50_000):
        columns = {
            name.strip().lower(): batch.column(i).to_pylist()
            for i, name in enumerate(batch.schema.names)
        }
        for index in range(batch.num_rows):
            yield (
                line,
                {
                    name: "" if values[index] is None else str(values[index])
                    for name, values in columns.items()
                },
            )
            line += 1


def transcode_to_utf8(source: InputFile, target: Path) -> Path:
    """Write a UTF-8 copy of a CSV (for engines that only read UTF-8), streaming."""
    encoding = _normalise_encoding(source.encoding or "utf-8")
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with source.path.open("rb") as raw, target.open("w", encoding="utf-8", newline="") as out:
        while chunk := raw.read(_CHUNK):
            try:
                out.write(decoder.decode(chunk))
            except UnicodeDecodeError as error:
                raise InputValidationError(
                    f"{source.path.name} is not valid {source.encoding} near byte "
                    f"{offset + error.start}; pass --encoding",
                ) from error
            offset += len(chunk)
        out.write(decoder.decode(b"", final=True))
    return target
