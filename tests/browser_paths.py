"""Names shared by the browser fixtures (conftest.py) and tests (test_browser.py)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER_TOKEN = "lottery-browser-tests"  # a fixed token: the servers listen on 127.0.0.1 only, for one session
SCREENSHOTS = ROOT / "test-output" / "screenshots"
