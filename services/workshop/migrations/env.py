from shared.migrations import run_env
from workshop.adapters.orm import metadata

run_env(metadata)
