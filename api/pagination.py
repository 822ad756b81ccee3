"""The one page model of list endpoints: ``total``, ``limit``, ``offset`` and ``items``.

Examples
--------
>>> Page[int](total=3, limit=2, offset=0, items=[1, 2]).model_dump()
{'total': 3, 'limit': 2, 'offset': 0, 'items': [1, 2]}
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` from ``offset``, and how many there are in all."""

    total: int = Field(ge=0, description="Items matching the filters, on every page.")
    limit: int = Field(ge=1, description="Most items on this page.")
    offset: int = Field(ge=0, description="Items skipped before this page.")
    items: list[T]
