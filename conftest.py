"""Fixtures every test folder shares (services/*/tests and tests/)."""

pytest_plugins = ["tests.support.fixtures"]


def pytest_addoption(parser):
    # Here, not in tests/reliability/conftest.py: pytest reads options from the root conftest only.
    parser.addoption("--reliability", choices=("bounded", "full"), default=None,
                     help="tests/reliability: the bounded form (default; RELIABILITY env too) or the full one "
                          "(more lifecycles, 20+ kills over all six services)")


def pytest_collection_modifyitems(config, items):
    """Whole-platform extras of the reliability suite (clock skew, every message twice) run in its full form
    only: the bounded form inside the README's test command stays within minutes. Deselected, so the
    summary counts them."""
    import os

    full = (config.getoption("--reliability") or os.environ.get("RELIABILITY", "bounded")) == "full"
    if full:
        return
    kept = [i for i in items if i.get_closest_marker("reliability_full") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
