"""workshop's repositories (shared.kit.Repository) and read queries. Never commits: the unit of work does."""

from __future__ import annotations
