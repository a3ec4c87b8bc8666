"""The one rule of who may read a document, used by the store and the API alike."""

from __future__ import annotations

from typing import Collection


def readable_by(access: Collection[str] | None, groups: Collection[str]) -> bool:
    """A document readable by everyone (``access`` None) or shared with one of ``groups``."""
    return access is None or not set(access).isdisjoint(groups)
