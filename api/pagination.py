"""Query parameters of list endpoints, bound by the one page size of ``core.pagination``.

Examples
--------
>>> Page[int](total=3, limit=2, offset=0, items=[1, 2]).model_dump()
{'total': 3, 'limit': 2, 'offset': 0, 'items': [1, 2], 'run_id': None, 'computed_at': None}
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from core.pagination import DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE, Page

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_OFFSET", "MAX_PAGE_SIZE", "Limit", "Offset", "Page"]

#: ``limit``: most items on the page (1 to :data:`MAX_PAGE_SIZE`).
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Most items on this page")]
#: ``offset``: items to skip (0 to :data:`MAX_OFFSET`).
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]
