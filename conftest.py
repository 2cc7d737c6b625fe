"""Fixtures every test folder shares (services/*/tests and tests/)."""

pytest_plugins = ["tests.support.fixtures"]


def pytest_addoption(parser):
    # Here, not in tests/reliability/conftest.py: pytest reads options from the root conftest only.
    parser.addoption("--reliability", choices=("bounded", "full"), default=None,
                     help="tests/reliability: the bounded form (default; RELIABILITY env too) or the full one "
                          "(more lifecycles, 20+ kills over all six services)")
