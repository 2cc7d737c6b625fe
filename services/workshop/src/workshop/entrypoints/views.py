"""What workshop's routes answer: response models and `(uow, aggregate) -> dict` views."""

from __future__ import annotations
