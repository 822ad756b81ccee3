"""The synthetic bank: realistic input files that know their own right answers.

:func:`generate_bank` writes every file of the data contract
(:mod:`loaders.contract`) for a made-up bank — branches, relationship managers,
customers and other companies, persons, ownership, control agreements, supply
chains, guarantees, facilities, products, segment snapshots and a year of
payments — plus ``truth.json``, which lists what was planted: prospects, core
enterprises, ultimate controllers, groups, guarantee circles, events, segment
migrations and the deliberately bad rows. ``docs/synthetic-bank.md`` describes
the truth keys and their exact semantics.

The same seed gives byte-identical files: all randomness comes from
``random.Random(seed)`` (structure) and ``numpy.random.default_rng(seed)``
(payments).

Examples
--------
>>> import tempfile, pathlib, json
>>> with tempfile.TemporaryDirectory() as folder:
...     report = generate_bank("tiny", 7, pathlib.Path(folder))
...     truth = json.loads(report.truth_path.read_text(encoding="utf-8"))
>>> report.rows["companies"] > 150, report.rows["transactions"] > 4000
(True, True)
>>> sorted(truth["events"][0])
['customer_id', 'month', 'type']
"""

from __future__ import annotations

from .generator import TRUTH_FILE, GenerationReport, generate_bank, scale_names
from .output import ENCODINGS, FILE_FORMATS
from .scales import CONCENTRATION_THRESHOLD_CNY, MONTHS, SCALES, ScaleSpec

__all__ = [
    "CONCENTRATION_THRESHOLD_CNY",
    "ENCODINGS",
    "FILE_FORMATS",
    "MONTHS",
    "SCALES",
    "TRUTH_FILE",
    "GenerationReport",
    "ScaleSpec",
    "generate_bank",
    "scale_names",
]
