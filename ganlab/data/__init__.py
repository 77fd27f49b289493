"""Data sources. Each says which source it used and how its values are scaled."""

from .pattern import PATTERN, pattern1010

__all__ = ["PATTERN", "pattern1010"]
