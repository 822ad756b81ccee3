"""The message catalogue: every user-visible string in Chinese (default) and English.

One gettext catalogue per language, ``core/locale/<locale>/LC_MESSAGES/messages.po``,
compiled to ``.mo`` (both committed). The server renders its templates with it
(Jinja2's i18n extension) and serves the same compiled messages to the browser as
JSON (:func:`catalogue`), so a label reads the same wherever it is drawn.

Plain UI strings use their English text as ``msgid``. A code the data carries (a
segment, an event type, a stage, a problem type...) is looked up with the code list
as gettext *context* and the code as ``msgid`` (``pgettext("segment", "strategic")``
→ 战略客户), so the UI never shows a code when the catalogue names it.

Run ``scripts/i18n.sh`` after changing a string: it extracts (``pybabel extract``
with ``babel.cfg``), updates both ``.po`` files and compiles them. A unit test fails
when the catalogue misses a string, has an untranslated one, or its ``.mo`` is stale.

Examples
--------
>>> pgettext("zh", "segment", "strategic"), pgettext("en", "segment", "strategic")
('战略客户', 'Strategic')
>>> negotiate("en-US,en;q=0.9"), negotiate(None), negotiate("fr")
('en', 'zh', 'zh')
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final

from babel.messages.mofile import read_mo
from babel.support import Translations

from .formatting import LANGUAGES, Language

LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DOMAIN: Final = "messages"
DEFAULT_LANGUAGE: Final[Language] = "zh"
#: gettext's locale directory name for each UI language.
GETTEXT_LOCALES: Final[dict[Language, str]] = {"zh": "zh_CN", "en": "en"}
#: The ``lang`` attribute of a page in each language.
HTML_LANGS: Final[dict[Language, str]] = {"zh": "zh-CN", "en": "en"}
#: How gettext joins a context and a msgid into one key (in .mo files and the JSON).
CONTEXT_SEPARATOR: Final = "\x04"


def negotiate(preference: str | None) -> Language:
    """The UI language for a stated preference (``en``, ``zh-CN``, an Accept-Language).

    Anything not English is Chinese: the bank's staff read Chinese.
    """
    if not preference:
        return DEFAULT_LANGUAGE
    for part in preference.split(","):
        tag = part.split(";")[0].strip().lower().replace("_", "-")
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def mo_path(language: Language) -> Path:
    """The compiled catalogue of ``language``."""
    return LOCALE_DIR / GETTEXT_LOCALES[language] / "LC_MESSAGES" / f"{DOMAIN}.mo"


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: Language) -> Translations:
    """The gettext translations of ``language`` (for Jinja2's i18n extension).

    Raises
    ------
    FileNotFoundError
        The compiled catalogue is missing (run ``scripts/i18n.sh``).
    """
    path = mo_path(language)
    with path.open("rb") as handle:
        return Translations(handle, domain=DOMAIN)


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: Language) -> dict[str, str]:
    """Every message of ``language``: key (``msgid`` or ``context\\x04msgid``) → text.

    The browser's copy of the catalogue; the header entry is left out.
    """
    with mo_path(language).open("rb") as handle:
        compiled = read_mo(handle)
    messages: dict[str, str] = {}
    for message in compiled:
        if not message.id or not isinstance(message.id, str):
            continue
        key = f"{message.context}{CONTEXT_SEPARATOR}{message.id}" if message.context else message.id
        messages[key] = str(message.string)
    return messages


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction only"
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message


def gettext(language: Language, message: str) -> str:
    """``message`` in ``language`` (itself when the catalogue has no translation)."""
    return catalogue(language).get(message) or message


def pgettext(language: Language, context: str, message: str) -> str:
    """The name of code ``message`` of code list ``context`` (the code when unnamed)."""
    return catalogue(language).get(f"{context}{CONTEXT_SEPARATOR}{message}") or message
