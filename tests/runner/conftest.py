import sys
from pathlib import Path

import pytest

# contract_modules.py sits next to the tests; make it importable without a package __init__.
sys.path.insert(0, str(Path(__file__).parent))

from contract_modules import FACTORIES  # noqa: E402

BACKENDS = [
    pytest.param("pytorch", marks=pytest.mark.torch),
    pytest.param("tensorflow", marks=pytest.mark.tensorflow),
]


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def make_module(backend):
    """make_module(arch="mlp", **options) -> a contract module for the test's backend."""
    return lambda arch="mlp", **options: FACTORIES[backend](arch, **options)


@pytest.fixture(scope="session")
def digits():
    from runner.data import load_dataset

    return load_dataset("digits")
