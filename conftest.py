"""Fixtures every test folder shares (services/*/tests and tests/)."""

pytest_plugins = ["tests.support.fixtures"]
