"""Money and dates: the Python rule (core.formatting) and the browser's (format.js) agree.

One table of cases runs through both; node (on every developer machine and in CI)
runs the JavaScript. The expected column pins the rule itself, so a change to
either side that the other does not follow fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from core.formatting import format_date, format_datetime, format_money, format_month

FORMAT_JS = Path(__file__).resolve().parents[2] / "api" / "static" / "format.js"

#: (function, arguments, expected)
CASES: list[tuple[str, list[object], str]] = [
    ("money", ["67656000.00", "CNY", "zh", False], "¥6,765.60万"),
    ("money", ["360000000", "CNY", "zh", False], "¥3.60亿"),
    ("money", ["3126234705.45", "CNY", "zh", False], "¥31.26亿"),
    ("money", ["12345678901234.56", "CNY", "zh", False], "¥123,456.79亿"),
    ("money", ["99999999.995", "CNY", "zh", False], "¥1.00亿"),
    ("money", ["99994999.99", "CNY", "zh", False], "¥9,999.50万"),
    ("money", ["9999.995", "CNY", "zh", False], "¥9,999.995"),
    ("money", ["9999.999", "CNY", "en", True], "CNY 9,999.999"),
    ("money", ["9999.9951", "CNY", "zh", False], "¥9,999.9951"),
    ("money", ["9999.99", "CNY", "zh", False], "¥9,999.99"),
    ("money", ["10000", "CNY", "zh", False], "¥1.00万"),
    ("money", ["0.00", "CNY", "zh", False], "¥0.00"),
    ("money", ["0", "CNY", "en", False], "CNY 0.00"),
    ("money", ["-1234.5", "CNY", "zh", False], "-¥1,234.50"),
    ("money", ["-0.001", "CNY", "zh", False], "-¥0.001"),
    ("money", ["-52345.675", "CNY", "zh", False], "-¥5.23万"),
    ("money", ["16638538.11", "USD", "zh", False], "USD 1,663.85万"),
    ("money", ["16638538.11", "usd", "en", False], "USD 16,638,538.11"),
    ("money", ["67656000.00", "CNY", "en", False], "CNY 67,656,000.00"),
    ("money", ["67656000.00", "CNY", "en", True], "CNY 67.66M"),
    ("money", ["3126234705.45", "CNY", "en", True], "CNY 3.13B"),
    ("money", ["999999.995", "CNY", "en", True], "CNY 999,999.995"),
    ("money", ["1000000", "CNY", "en", True], "CNY 1.00M"),
    ("money", ["450000", "CNY", "en", True], "CNY 450,000.00"),
    ("money", ["1234.5678", "EUR", "en", False], "EUR 1,234.5678"),
    ("datetime", ["2026-12-01T10:22:07.441000+00:00", "zh"], "2026年12月1日 18:22"),
    ("datetime", ["2026-12-01T10:22:07.441000+00:00", "en"], "1 Dec 2026, 18:22"),
    ("datetime", ["2026-09-30T23:05:00", "en"], "1 Oct 2026, 07:05"),
    ("datetime", ["2026-09-30T23:05:00Z", "zh"], "2026年10月1日 07:05"),
    ("datetime", ["2026-03-01T02:00:00+08:00", "zh"], "2026年3月1日 02:00"),
    ("date", ["2025-09-30", "zh"], "2025年9月30日"),
    ("date", ["2025-09-30", "en"], "30 Sep 2025"),
    ("month", ["2025-12", "zh"], "2025年12月"),
    ("month", ["2025-06", "en"], "Jun 2025"),
]


def python_result(function: str, args: list[object]) -> str:
    if function == "money":
        amount, currency, language, compact = args
        return format_money(str(amount), str(currency), str(language), compact=bool(compact))
    formatter = {"datetime": format_datetime, "date": format_date, "month": format_month}
    return formatter[function](str(args[0]), str(args[1]))


def node_results(cases: list[tuple[str, list[object], str]]) -> list[str]:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is needed to check the browser's formatter")
        pytest.skip("node not installed")
    script = (
        "const f = require(process.argv[1]);"
        "const names = {money: 'formatMoney', datetime: 'formatDateTime', date: 'formatDate',"
        " month: 'formatMonth'};"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(([fn, args]) => f[names[fn]](...args))));"
    )
    done = subprocess.run(
        [node, "-e", script, str(FORMAT_JS)],
        input=json.dumps([[fn, args] for fn, args, _ in cases]),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    results: list[str] = json.loads(done.stdout)
    return results


@pytest.mark.parametrize(("function", "args", "expected"), CASES)
def test_python_formatter_follows_the_rule(
    function: str, args: list[object], expected: str
) -> None:
    assert python_result(function, args) == expected


def test_browser_formatter_agrees_with_python_on_every_case() -> None:
    from_js = node_results(CASES)
    table = [
        (fn, args, python_result(fn, args), js)
        for (fn, args, _), js in zip(CASES, from_js, strict=True)
    ]
    assert [row for row in table if row[2] != row[3]] == []


def test_both_refuse_an_amount_that_is_not_a_decimal() -> None:
    with pytest.raises(ValueError, match="not a decimal"):
        format_money("1,000", "CNY", "zh")
    with pytest.raises(ValueError, match="unknown language"):
        format_money("1", "CNY", "fr")
