"""Language-neutral sentences: a catalogue key and typed parameters, rendered on reading.

An algorithm explains a result with a :class:`Message` (the English ``msgid`` of the
message catalogue, marked with :func:`core.i18n.N_`, and its parameters), never with
finished text. What is stored is that key and those parameters (JSON, see
:func:`to_json`), so a stored reason reads in whatever language the caller asks for,
through the one catalogue (:mod:`core.i18n`), and its amounts follow the one money rule.

Parameters are typed: a name or other text (``str``), a count (``int``), an amount
(:class:`~core.money.Money`, shown compact: ``¥2.50亿`` / ``CNY 250.00M``), or a code
of a code list (:class:`Code`, shown by its catalogue name: ``战略客户`` / ``Strategic``).

Examples
--------
>>> from core.i18n import N_
>>> m = Message(N_("linked to {groups} customer groups"), {"groups": 2})
>>> render(m, "en"), render(m, "zh")
('linked to 2 customer groups', '关联2个客户集团')
>>> from_json(to_json([m])) == [m]
True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .formatting import Language, format_month
from .i18n import gettext, pgettext
from .money import Money


@dataclass(frozen=True, slots=True)
class Code:
    """A code of a code list (a segment, an event type...): named by the catalogue when
    shown, so a sentence never shows a code the catalogue can name.

    Examples
    --------
    >>> from core.i18n import N_
    >>> m = Message(N_("Segment fell from {previous} to {current} on {date}."),
    ...             {"previous": Code("segment", "strategic"), "current": Code("segment", "basic"),
    ...              "date": "2025-12-31"})
    >>> render(m, "en")
    'Segment fell from Strategic to Basic on 2025-12-31.'
    """

    code_list: str
    code: str


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month ``YYYY-MM``, shown in the reader's language (``2025年12月`` /
    ``Dec 2025``), never as an ISO string in a sentence.

    Examples
    --------
    >>> from core.i18n import N_
    >>> m = Message(N_("From {start} to {end}"), {"start": Month("2025-01")})
    >>> from_json(to_json([m])) == [m]
    True
    """

    value: str


#: A parameter of a message: text (a name), a count, an amount, a code, or a month.
Param = str | int | Money | Code | Month


@dataclass(frozen=True, slots=True)
class Message:
    """A catalogue key (its English ``msgid``) and the values of its ``{placeholders}``."""

    key: str
    params: Mapping[str, Param] = field(default_factory=dict)


def _shown(value: Param, language: Language) -> str:
    if isinstance(value, Money):
        return value.format(language, compact=True)
    if isinstance(value, Code):
        return pgettext(language, value.code_list, value.code)
    if isinstance(value, Month):
        return format_month(value.value, language)
    return str(value)


def render(message: Message, language: Language) -> str:
    """The sentence in ``language``: the catalogue's text with its parameters filled in."""
    values = {name: _shown(value, language) for name, value in message.params.items()}
    return gettext(language, message.key).format(**values)


#: Between the sentences of one explanation: Chinese full stops need no space.
_SENTENCE_SEPARATORS: Final[dict[Language, str]] = {"zh": "", "en": " "}


def render_sentences(messages: Iterable[Message], language: Language) -> str:
    """Whole sentences (each ends with its full stop) rendered and joined as one text.

    Examples
    --------
    >>> from core.i18n import N_
    >>> note = Message(N_("Its receipts in {currencies} are not counted (no exchange rate)."),
    ...                {"currencies": "USD"})
    >>> render_sentences([note, note], "en").count(". Its")
    1
    """
    return _SENTENCE_SEPARATORS[language].join(render(m, language) for m in messages)


#: Between the clauses of one explanation (a list of reasons, a group's features).
_CLAUSE_SEPARATORS: Final[dict[Language, str]] = {"zh": "；", "en": "; "}


def render_clauses(messages: Iterable[Message], language: Language) -> str:
    """Clauses rendered and joined as one sentence (``；`` in Chinese, ``; `` in English)."""
    return _CLAUSE_SEPARATORS[language].join(render(m, language) for m in messages)


def rewrite_text(message: Message, rewrite: Callable[[str], str]) -> Message:
    """The message with every text parameter passed through ``rewrite`` (e.g. to hide the
    name of a company outside the caller's branches); counts and amounts are kept."""
    params = {k: rewrite(v) if isinstance(v, str) else v for k, v in message.params.items()}
    return Message(message.key, params)


def _param_json(value: Param) -> Any:
    if isinstance(value, Money):
        return {"minor": value.minor, "currency": value.currency}
    if isinstance(value, Code):
        return {"code_list": value.code_list, "code": value.code}
    if isinstance(value, Month):
        return {"month": value.value}
    return value


def _param_value(value: Any) -> Param:
    if isinstance(value, dict) and "code_list" in value:
        return Code(str(value["code_list"]), str(value["code"]))
    if isinstance(value, dict) and "month" in value:
        return Month(str(value["month"]))
    if isinstance(value, dict):
        return Money(int(value["minor"]), str(value["currency"]))
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"not a message parameter: {value!r}")
    return value


#: ``json.dumps(..., ensure_ascii=False, sort_keys=True)`` without building an encoder
#: per call (a compute stores tens of thousands of message lists).
_STORED_JSON: Final = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def to_json(messages: Iterable[Message]) -> str:
    """Messages as stored: ``[{"key": ..., "params": {...}}]`` (amounts as minor units)."""
    return _STORED_JSON.encode(
        [
            {"key": m.key, "params": {k: _param_json(v) for k, v in m.params.items()}}
            for m in messages
        ]
    )


def from_json(text: str | None) -> list[Message]:
    """The messages :func:`to_json` stored (none for ``None``)."""
    if not text:
        return []
    return [
        Message(str(item["key"]), {k: _param_value(v) for k, v in item["params"].items()})
        for item in json.loads(text)
    ]


def params_json(message: Message) -> dict[str, Any]:
    """The parameters as the API shows them (amounts as ``{"amount", "currency"}``, codes
    as ``{"code_list", "code"}``)."""
    out: dict[str, Any] = {}
    for name, value in message.params.items():
        if isinstance(value, Money):
            out[name] = {"amount": str(value.amount), "currency": value.currency}
        elif isinstance(value, Code):
            out[name] = {"code_list": value.code_list, "code": value.code}
        elif isinstance(value, Month):
            out[name] = value.value  # ``YYYY-MM``: language-neutral
        else:
            out[name] = value
    return out
