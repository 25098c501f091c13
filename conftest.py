"""The environment of every test and notebook run by pytest (nbval's kernels inherit it): offline, fast, fresh."""
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# Absolute paths: the notebooks' kernels run in notebooks/, where a relative path would point elsewhere.
os.environ["LOTTERY_DATA"] = os.path.abspath(os.environ.get("LOTTERY_DATA", ROOT.parent / "shared" / "data"))
os.environ.setdefault("LOTTERY_FAST", "1")
os.environ.setdefault("LOTTERY_CACHE", tempfile.mkdtemp(prefix="lottery-cache-"))
if os.environ.get("PYTEST_XDIST_WORKER"):  # pytest.ini runs two workers: one thread each, as on a 2-core machine two
    os.environ["OMP_NUM_THREADS"] = "1"    # torch processes with two threads each run many times slower (kernels too)
    import torch
    torch.set_num_threads(1)
