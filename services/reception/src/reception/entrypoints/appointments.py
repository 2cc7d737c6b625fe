from fastapi import APIRouter

router = APIRouter(tags=["appointments"])
