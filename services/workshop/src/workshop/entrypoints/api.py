"""workshop's HTTP API: requests become commands, results become views; nothing else."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["workshop"])
