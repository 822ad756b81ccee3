"""Writing tables as CSV (in a chosen encoding) or Parquet, a chunk at a time.

CSV files have a header line of the contract's column names, comma separators,
``"`` quoting only where a value needs it, and ``\\n`` line ends, so line *n* of
the file is data row *n − 1*. Parquet files hold every column as a string (empty
values are nulls), so a deliberately bad value such as ``1O8000.00`` can be
written as it is; their row numbers are the row index + 2, as if a header line
preceded them.

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as folder:
...     path = pathlib.Path(folder) / "t.csv"
...     with TableWriter(path, ("a", "b"), "csv", "gbk") as writer:
...         writer.write_rows([("上海", "x,y"), ("", "1")])
...     path.read_bytes().decode("gbk")
'a,b\\n上海,"x,y"\\n,1\\n'
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

ENCODINGS: Final = ("utf-8", "utf-8-sig", "gbk", "gb18030")
FILE_FORMATS: Final = ("csv", "parquet")


def format_cents(cents: int) -> str:
    """An exact decimal string with two places from integer cents.

    Examples
    --------
    >>> format_cents(110), format_cents(5), format_cents(123456789012)
    ('1.10', '0.05', '1234567890.12')
    """
    return f"{cents // 100}.{cents % 100:02d}"


def format_basis_points(points: int) -> str:
    """A percentage from basis points, without trailing zeros.

    Examples
    --------
    >>> format_basis_points(5000), format_basis_points(6667), format_basis_points(5010)
    ('50', '66.67', '50.1')
    """
    whole, rest = divmod(points, 100)
    return str(whole) if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")


class TableWriter:
    """Writes one contract file, header first, in chunks.

    Parameters
    ----------
    path
        The file to create (replaced if it exists).
    columns
        Column names in contract order.
    file_format
        ``csv`` or ``parquet``.
    encoding
        CSV encoding; ignored for Parquet.
    """

    def __init__(self, path: Path, columns: Sequence[str], file_format: str, encoding: str) -> None:
        self.path = path
        self.columns = tuple(columns)
        self.file_format = file_format
        self.rows_written = 0
        self._handle: IO[str] | None = None
        self._csv: Any = None
        self._parquet: Any = None
        self._schema: Any = None
        if file_format == "csv":
            # errors="strict": a character outside the encoding must fail, not turn into "?".
            self._handle = path.open("w", encoding=encoding, newline="", errors="strict")
            self._csv = csv.writer(self._handle, lineterminator="\n")
            self._csv.writerow(self.columns)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            self._schema = pa.schema([(name, pa.string()) for name in self.columns])
            self._parquet = pq.ParquetWriter(path, self._schema)

    def write_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Append rows (each a sequence of column values)."""
        if not rows:
            return
        if self._csv is not None:
            self._csv.writerows(rows)
        else:
            self._write_parquet([list(column) for column in zip(*rows, strict=True)])
        self.rows_written += len(rows)

    def write_columns(self, columns: Sequence[Sequence[str]]) -> None:
        """Append rows given column by column (all columns of equal length)."""
        count = len(columns[0]) if columns else 0
        if count == 0:
            return
        if self._csv is not None:
            self._csv.writerows(zip(*columns, strict=True))
        else:
            self._write_parquet(columns)
        self.rows_written += count

    def _write_parquet(self, columns: Sequence[Sequence[str]]) -> None:
        import pyarrow as pa

        arrays = [pa.array([v if v else None for v in column], pa.string()) for column in columns]
        self._parquet.write_table(pa.Table.from_arrays(arrays, schema=self._schema))

    def close(self) -> None:
        """Flush and close the file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
