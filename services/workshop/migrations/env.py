from shared.migrations import run_service_env

run_service_env("workshop")
