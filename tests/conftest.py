import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from browser_paths import ROOT, SCREENSHOTS, SERVER_TOKEN

# The environment every test and notebook runs in (LOTTERY_DATA, LOTTERY_FAST, LOTTERY_CACHE): ../conftest.py


@pytest.fixture(scope="session")
def settings():
    """The settings every test runs with, read from the environment ../conftest.py sets (fast mode, the shared
    MNIST, a fresh cache)."""
    from lottery_utils.settings import Settings
    return Settings.from_environment()


@pytest.fixture(scope="session")
def mnist(settings):
    from lottery_utils import load_mnist
    return load_mnist(settings.data, device="cpu")


@pytest.fixture(scope="session")
def training_mnist(settings, mnist):
    """MNIST on the device the cached experiments train on (`best_device()`), for the tests that retrain one of their
    networks by hand and compare bit for bit (on a GPU machine the `mnist` above, on the CPU, would round otherwise)."""
    from lottery_utils.data import best_device, load_mnist
    return mnist if best_device().type == "cpu" else load_mnist(settings.data)


# --- Real-browser tests (tests/test_browser.py, marker `browser`): one Chromium per session, and JupyterLab and
# Voila servers on 127.0.0.1 with a random port and a token, started with this process's environment (fast mode,
# absolute LOTTERY_DATA, the session's LOTTERY_CACHE) and always stopped with their whole process group.
# Recipes and pitfalls: ../shared/notebook-testing/RECIPES.md (beside this repository).


def find_chromium() -> str | None:
    """$CHROMIUM if set, else `chromium` on the PATH, else Debian's /usr/bin/chromium (never `playwright install`)."""
    candidates = [os.environ["CHROMIUM"]] if os.environ.get("CHROMIUM") else [shutil.which("chromium"),
                                                                             "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium_path():
    """The browser binary. Outside CI a missing Chromium skips the browser tests; with $CI set it fails them."""
    path = find_chromium()
    if path is None:
        message = (f"no Chromium at $CHROMIUM={os.environ['CHROMIUM']}" if os.environ.get("CHROMIUM") else
                   "no Chromium found (`chromium` on the PATH, /usr/bin/chromium): install Debian's package with "
                   "`apt-get install -y chromium`, or set $CHROMIUM")
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"CI is set and the browser tests need a browser: {message}", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    """ONE playwright + headless Chromium per session (two sync_playwright() fixtures clash in one process)."""
    from playwright.sync_api import sync_playwright
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # ignore any http_proxy for localhost
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with opener.open(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"no answer from {url} in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def _server_env(tmp: Path) -> dict[str, str]:
    """pytest's environment (LOTTERY_* set above, so the kernels find the data and the session's cache)."""
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_CONFIG_DIR=str(tmp / "config"))
    env.setdefault("OMP_NUM_THREADS", "1")
    env.pop("MPLBACKEND", None)  # a non-inline backend in the kernel would show no figures
    return env


@contextlib.contextmanager
def _serve(cmd: list[str], url: str, tmp: Path, cwd: Path):
    """Start a server in its own session (process group), wait until `url` answers, stop the group at the end."""
    log_path = tmp / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=_server_env(tmp),
                                start_new_session=True)
        try:
            _wait_http(url, proc, log_path)
            yield proc
        finally:
            for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):  # the server and its kernels, nothing else
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(timeout=wait)
                    break
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue


@pytest.fixture(scope="session")
def lab_server(chromium_path, tmp_path_factory):
    """JupyterLab on a copy of notebooks/ (running cells must never save outputs into the committed notebooks):
    yields the base URL; log in with ?token=SERVER_TOKEN. Isolated settings (no news toast, no autosave) and
    workspaces (no restored layout)."""
    tmp = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", tmp / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for plugin, values in {"apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
                           "docmanager-extension/plugin": {"autosave": False}}.items():
        path = tmp / "settings" / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",  # CI runs as root
           f"--port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={SERVER_TOKEN}", f"--ServerApp.root_dir={tmp / 'notebooks'}",
           f"--LabApp.user_settings_dir={tmp / 'settings'}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}"]
    with _serve(cmd, f"{base}/api/status?token={SERVER_TOKEN}", tmp, tmp / "notebooks"):
        yield base


@pytest.fixture(scope="session")
def voila_server(chromium_path, tmp_path_factory):
    """Voila serving the classroom app, as the README starts it: yields the app's URL (token included)."""
    tmp = tmp_path_factory.mktemp("voila")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "voila", "notebooks/classroom_app.ipynb", "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", f"--Voila.token={SERVER_TOKEN}", "--theme=light",
           "--show_tracebacks=True"]
    # Readiness: a static file (the app's own URL would start a kernel and run the notebook).
    with _serve(cmd, f"{base}/voila/static/favicon.ico", tmp, ROOT):
        yield f"{base}/?token={SERVER_TOKEN}"
