"""The one page envelope of list endpoints and the one bound on a page.

Every list answers ``Page[T]``: ``items`` from ``offset``, at most ``limit`` of them,
and ``total`` across every page. Lists of computed results (groups, circles,
prospects, events) also name the one compute run they come from (``run_id``) and
when it finished (``computed_at``), so a user sees "结果计算于 …".

Examples
--------
>>> Page[int](total=3, limit=2, offset=0, items=[1, 2]).model_dump()
{'total': 3, 'limit': 2, 'offset': 0, 'items': [1, 2], 'run_id': None, 'computed_at': None}
>>> MAX_PAGE_SIZE
500
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

#: Most items one page may hold, on every list endpoint. 500 rows of the largest item
#: (a prospect with its ties) stay under a few MB of JSON and one Neo4j round trip of a
#: second or so on the reference machine; the UI pages at 20-100.
MAX_PAGE_SIZE: Final = 500
#: The default page size of list endpoints.
DEFAULT_PAGE_SIZE: Final = 50
#: Largest ``offset`` a list accepts. Neo4j's SKIP takes a 64-bit integer, so an
#: unbounded offset (fuzzers send 2**70) would be a server error; no list holds
#: anywhere near ten million items.
MAX_OFFSET: Final = 10_000_000


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` from ``offset``, and how many there are in all."""

    total: int = Field(ge=0, description="Items matching the filters, on every page.")
    limit: int = Field(ge=1, le=MAX_PAGE_SIZE, description="Most items on this page.")
    offset: int = Field(ge=0, le=MAX_OFFSET, description="Items skipped before this page.")
    items: list[T]
    run_id: str | None = Field(
        default=None,
        description="The compute run the items come from (lists of computed results only); "
        "every item of one answer comes from this one run.",
    )
    computed_at: datetime | None = Field(
        default=None, description="When that run finished (结果计算于)."
    )
