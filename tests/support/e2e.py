"""Constants of the end-to-end platform (tests/e2e/conftest.py starts it)."""

PASSWORD = "e2e-secret-pw"
JWT_SECRET = "e2e-jwt-secret-0123456789abcdef0123"
GROUP, STORE = "dg-e2e", "s-e2e"
