"""The message catalogue is complete, translated in both languages, and compiled.

The extraction is the one ``scripts/i18n.sh`` runs (``babel.cfg``: templates, the
UI script, Python marks and the code lists), done here in memory and compared with
the committed ``.po`` files; the committed ``.mo`` files must be what the ``.po``
files compile to, byte for byte.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from api.vocabulary import CODE_LISTS
from core.errors import CorpgraphError
from core.i18n import GETTEXT_LOCALES, LOCALE_DIR, catalogue, mo_path

ROOT = Path(__file__).resolve().parents[2]
LOCALES = tuple(GETTEXT_LOCALES.items())
Key = tuple[str | None, str]


def _in_sources(path: str) -> bool:
    """Walk only the folders babel.cfg names (api/, services/, visualizations/, graph/,
    algorithms/, core/)."""
    parts = Path(path).resolve().relative_to(ROOT).parts
    return (
        parts[:1]
        in {("api",), ("services",), ("visualizations",), ("graph",), ("algorithms",), ("core",)}
        and "vendor" not in parts
        and "__pycache__" not in parts
    )


def extracted() -> set[Key]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(ROOT / "babel.cfg"))  # type: ignore[no-untyped-call]
    keys: set[Key] = set()
    for _, _, message, _, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=DEFAULT_KEYWORDS,
        directory_filter=_in_sources,
    ):
        msgid = message if isinstance(message, str) else message[0]
        keys.add((context, msgid))
    return keys


def po_catalog(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.fixture(scope="module")
def sources() -> set[Key]:
    return extracted()


@pytest.mark.parametrize(("language", "locale"), LOCALES)
def test_every_string_of_the_sources_is_in_the_catalogue_and_no_other(
    sources: set[Key], language: str, locale: str
) -> None:
    entries = {(m.context, str(m.id)) for m in po_catalog(locale) if m.id}
    assert sorted(sources - entries, key=str) == [], "run scripts/i18n.sh and translate"
    assert sorted(entries - sources, key=str) == [], "obsolete entries: run scripts/i18n.sh"


@pytest.mark.parametrize(("language", "locale"), LOCALES)
def test_every_entry_is_translated_and_none_is_fuzzy(language: str, locale: str) -> None:
    untranslated = [
        (m.context, m.id) for m in po_catalog(locale) if m.id and (not m.string or m.fuzzy)
    ]
    assert untranslated == []


@pytest.mark.parametrize(("language", "locale"), LOCALES)
def test_compiled_catalogue_is_the_po_file_compiled(language: str, locale: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, po_catalog(locale))
    assert mo_path(language).read_bytes() == compiled.getvalue(), "run scripts/i18n.sh"  # type: ignore[arg-type]


def test_placeholders_survive_translation() -> None:
    import re

    placeholder = re.compile(r"\{\w+\}")
    for message in po_catalog("zh_CN"):
        if message.id and not message.context:
            assert sorted(placeholder.findall(str(message.string))) == sorted(
                placeholder.findall(str(message.id))
            ), message.id


def test_every_code_and_problem_type_has_a_chinese_name_unlike_its_code() -> None:
    zh = catalogue("zh")
    for context, codes in CODE_LISTS.items():
        for code in codes:
            name = zh.get(f"{context}\x04{code}", "")
            assert name, (context, code)
            assert name != code, (context, code)
    errors: list[type[CorpgraphError]] = [CorpgraphError, *CorpgraphError.__subclasses__()]
    problem_types = {error.problem_type for error in errors}
    assert problem_types <= set(CODE_LISTS["problem"])


def test_english_names_of_codes_are_words_not_codes() -> None:
    en = catalogue("en")
    for context, codes in CODE_LISTS.items():
        if context == "problem":
            continue
        for code in codes:
            name = en[f"{context}\x04{code}"]
            assert "_" not in name, (context, code, name)
            assert name != code.upper(), (context, code, name)
