"""Benchmark: which engine turns raw transactions into monthly flows.

The same CSV of N transactions is aggregated into (payer, payee, month, currency)
→ exact sum of minor units, count, first and last date, by three engines, each in
its own subprocess so that peak memory is measured separately:

- pandas, reading in chunks and merging partial aggregates;
- Polars, lazy scan with streaming;
- DuckDB, SQL over ``read_csv`` (what corpgraph uses).

All three parse amounts exactly (integer minor units from the decimal text), and
the benchmark checks that they agree before it prints ratios.

Run: ``.venv/bin/python bench/flows.py --rows 2000000``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    companies = np.array([f"C{i:06d}" for i in range(max(rows // 40, 100))])
    chunk = 500_000
    with path.open("w", encoding="utf-8") as out:
        out.write("txn_id,date,amount,currency,payer_id,payee_id\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            payer = companies[rng.integers(0, len(companies), n)]
            payee = companies[rng.integers(0, len(companies) // 4, n)]  # hubs receive more
            day = rng.integers(0, 365, n)
            dates = (np.datetime64("2025-01-01") + day).astype(str)
            cents = rng.lognormal(11, 1.5, n).astype(np.int64) + 1
            lines = [
                f"T{start + i},{dates[i]},{cents[i] // 100}.{cents[i] % 100:02d},CNY,"
                f"{payer[i]},{payee[i]}\n"
                for i in range(n)
            ]
            out.writelines(lines)


def run_duckdb(path: str) -> dict[str, int]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    total, count, groups = con.execute(
        """
        WITH t AS (
            SELECT payer_id, payee_id, currency, strftime(date::DATE, '%Y-%m') AS month,
                   date::DATE AS d, CAST(CAST(amount AS DECIMAL(38, 10)) * 100 AS HUGEINT) AS minor
            FROM read_csv(?, all_varchar = true, header = true)
        ), f AS (
            SELECT payer_id, payee_id, month, currency, sum(minor) AS s, count(*) AS n,
                   min(d), max(d) FROM t GROUP BY ALL
        )
        SELECT CAST(sum(s) AS VARCHAR), sum(n), count(*) FROM f
        """,
        [path],
    ).fetchone()
    return {"total_minor": int(total), "count": int(count), "groups": int(groups)}


def run_polars(path: str) -> dict[str, int]:
    import polars as pl

    parts = pl.col("amount").str.split_exact(".", 1)
    lazy = (
        pl.scan_csv(path, infer_schema=False)
        .with_columns(
            month=pl.col("date").str.slice(0, 7),
            d=pl.col("date").str.to_date(),
            minor=(
                pl.col("amount").str.split_exact(".", 1).struct.field("field_0").cast(pl.Int64)
                * 100
                + parts.struct.field("field_1").fill_null("0").str.pad_end(2, "0").cast(pl.Int64)
            ),
        )
        .group_by(["payer_id", "payee_id", "month", "currency"])
        .agg(
            pl.col("minor").sum().alias("s"),
            pl.len().alias("n"),
            pl.col("d").min(),
            pl.col("d").max().alias("d_max"),
        )
        .select(pl.col("s").sum(), pl.col("n").sum(), pl.len().alias("groups"))
    )
    row = lazy.collect(engine="streaming").row(0)
    return {"total_minor": int(row[0]), "count": int(row[1]), "groups": int(row[2])}


def run_pandas(path: str) -> dict[str, int]:
    import pandas as pd

    partials = []
    for chunk in pd.read_csv(path, dtype=str, chunksize=500_000):
        whole_frac = chunk["amount"].str.split(".", n=1, expand=True)
        frac = whole_frac[1].fillna("0").str.ljust(2, "0") if 1 in whole_frac else "0"
        chunk["minor"] = whole_frac[0].astype("int64") * 100 + pd.Series(frac).astype("int64")
        chunk["month"] = chunk["date"].str.slice(0, 7)
        chunk["d"] = pd.to_datetime(chunk["date"])
        partials.append(
            chunk.groupby(["payer_id", "payee_id", "month", "currency"]).agg(
                s=("minor", "sum"), n=("minor", "size"), first=("d", "min"), last=("d", "max")
            )
        )
    merged = (
        pd.concat(partials)
        .groupby(level=[0, 1, 2, 3])
        .agg(s=("s", "sum"), n=("n", "sum"), first=("first", "min"), last=("last", "max"))
    )
    return {
        "total_minor": int(merged["s"].sum()),
        "count": int(merged["n"].sum()),
        "groups": len(merged),
    }


ENGINES = {"duckdb": run_duckdb, "polars": run_polars, "pandas": run_pandas}


def child(engine: str, path: str) -> None:
    start = time.perf_counter()
    result = ENGINES[engine](path)
    result_with_time = {
        **result,
        "seconds": time.perf_counter() - start,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    sys.stdout.write(json.dumps(result_with_time) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "PATH"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "transactions.csv"
        start = time.perf_counter()
        make_csv(path, args.rows)
        print(
            f"generated {args.rows:,} transactions ({path.stat().st_size / 2**20:.0f} MiB) "
            f"in {time.perf_counter() - start:.1f}s"
        )
        results = {}
        for engine in ENGINES:
            out = subprocess.run(
                [sys.executable, __file__, "--child", engine, str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            results[engine] = json.loads(out.stdout.strip().splitlines()[-1])
    reference = results["duckdb"]
    for engine, result in results.items():
        same = all(result[k] == reference[k] for k in ("total_minor", "count", "groups"))
        if not same:
            raise SystemExit(f"{engine} disagrees with duckdb: {result} vs {reference}")
    print(
        f"{'engine':<8} {'seconds':>8} {'peak MiB':>9} {'time vs duckdb':>15} {'mem vs duckdb':>14}"
    )
    for engine, result in results.items():
        print(
            f"{engine:<8} {result['seconds']:>8.2f} {result['peak_rss_mib']:>9} "
            f"{result['seconds'] / reference['seconds']:>14.2f}x "
            f"{result['peak_rss_mib'] / reference['peak_rss_mib']:>13.2f}x"
        )
    print(
        f"all engines agree: {reference['groups']:,} monthly flows, "
        f"{reference['count']:,} transactions, total {reference['total_minor']:,} fen"
    )


if __name__ == "__main__":
    main()
