import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The notebooks' kernels inherit these (nbval), so the whole suite runs offline, in fast mode, on a fresh cache.
# Absolute paths: the notebooks' kernels run in notebooks/, where a relative path would point elsewhere.
os.environ["LOTTERY_DATA"] = os.path.abspath(os.environ.get("LOTTERY_DATA", ROOT.parent / "shared" / "data"))
os.environ.setdefault("LOTTERY_FAST", "1")
os.environ.setdefault("LOTTERY_CACHE", tempfile.mkdtemp(prefix="lottery-cache-"))


@pytest.fixture(scope="session")
def mnist():
    from lottery_utils import load_mnist
    return load_mnist(device="cpu")
