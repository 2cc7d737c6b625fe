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


def pytest_configure(config):
    """`kill -USR1 <pytest pid>` prints every asyncio task's stack: py-spy shows only the event loop waiting,
    not which await hangs."""
    import asyncio
    import signal
    import sys

    def dump_tasks(signum, frame):
        loop = asyncio._get_running_loop()
        if loop is None:
            print("no running event loop", file=sys.stderr)
            return
        for task in asyncio.all_tasks(loop):
            print(f"--- {task.get_name()} {task.get_coro()!r}", file=sys.stderr)
            task.print_stack(limit=12, file=sys.stderr)
        sys.stderr.flush()

    signal.signal(signal.SIGUSR1, dump_tasks)
