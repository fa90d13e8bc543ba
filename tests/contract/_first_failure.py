"""A sandbox conftest that ends a mutant's run at the first case catching it.

A mutant run only asks whether the suite catches each mutant, so once one case of a
mutant's class fails, the rest of that class is skipped ("caught"). The genuine class
(named in ``KEEP``) always runs whole: every case must pass on it.
"""

CONFTEST = """
import pytest

KEEP = {keep!r}
_caught = set()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.cls is not None and item.cls.__name__ in _caught:
        pytest.skip("its mutant is already caught")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    name = item.cls.__name__ if item.cls is not None else None
    if outcome.get_result().failed and name is not None and name not in KEEP:
        _caught.add(name)
"""


def first_failure_conftest(*keep: str) -> str:
    """The conftest's source, running the classes named in *keep* whole."""
    return CONFTEST.format(keep=set(keep))
