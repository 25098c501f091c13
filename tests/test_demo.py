"""The slide demo as one self-contained page (docs/demo/index.html): what `python -m lottery_utils demo` writes, from
the bundled results, opened from file:// with every network request refused."""
import re
import time

import pytest

from lottery_utils.lessons import CONTROLS, ONE_SHOT_GRID, PAPER_ROUNDS
from lottery_utils.maintainer.demo import DEMO_DIR, demo_data, page, write_demo
from lottery_utils.summaries import summarize
from lottery_utils.store import Bundle
from lottery_utils.maintainer.selection import one_shot_networks, paper_run

PAGE = DEMO_DIR / "index.html"
SEEDS = Bundle().seeds("lenet")
needs_bundle = pytest.mark.skipif(not SEEDS, reason="no complete seed bundled yet")


@needs_bundle
def test_the_committed_page_is_what_the_command_writes_and_fetches_nothing(tmp_path):
    start = time.perf_counter()
    written = write_demo(tmp_path)
    assert time.perf_counter() - start < 60  # the "under a minute", with a wide margin here
    assert PAGE.read_text() == written.read_text(), "run `python -m lottery_utils demo` and commit docs/demo/"
    html = PAGE.read_text()
    assert len(html.encode()) < 3_000_000
    assert not re.search(r"<script[^>]+src=|<link\b|<img\b|@import|url\(|https?://(?!www\.w3\.org/2000/svg)", html)


def expected(amount=None, rounds=None):
    """The bundle's means at one position, formatted as the lessons print them, computed here from the results."""
    results = [r for r in Bundle().results("lenet") if r.seed in SEEDS]
    group = one_shot_networks(results, [amount], ("ticket", *CONTROLS)) if amount is not None else \
        [r for r in paper_run(results) if r.round == rounds]
    rows = {row.kind: row for row in summarize(group) if row.kind != "dense"}
    return {kind: f"{100 * rows[kind].early_stop_test_accuracy.mean:.2f}" for kind in ("ticket", *CONTROLS)}, \
        f"{100 * rows['ticket'].remaining:.1f} % of the weights remain"


@needs_bundle
def test_the_page_data_cover_every_position():
    data = demo_data(Bundle())
    assert len(data["oneShot"]) == len(ONE_SHOT_GRID) and len(data["rounds"]) == PAPER_ROUNDS
    assert all(len(position["mask"]) == 784 for position in data["oneShot"])
    assert data["seeds"] == list(SEEDS)
    assert page(data).count("<script") == 2  # the data and the drawing, inline


@needs_bundle
@pytest.mark.browser
def test_the_page_works_offline_from_a_file_with_the_keyboard(browser):
    from browser_paths import SCREENSHOTS

    requests = []
    page_ = browser.new_page(viewport={"width": 1700, "height": 1300})
    errors = []
    page_.on("pageerror", lambda error: errors.append(str(error)))

    def refuse(route):
        requests.append(route.request.url)
        route.continue_() if route.request.url.startswith("file://") else route.abort()

    page_.route("**/*", refuse)
    try:
        page_.goto(PAGE.resolve().as_uri())
        positions = {"one-shot": (ONE_SHOT_GRID[0], ONE_SHOT_GRID[-1], None), "rounds": (1, PAPER_ROUNDS, "rounds")}
        assert page_.locator("#rounds-slider").input_value() == "2"  # round 3: the class predicts the rest first
        for name, (first, last, kind) in positions.items():
            slider = page_.locator(f"#{name}-slider")
            for key, position in (("Home", first), ("End", last)):
                slider.focus()
                page_.keyboard.press(key)
                means, remaining = expected(rounds=position) if kind else expected(amount=position)
                numbers = page_.locator(f"#{name}-numbers")
                assert numbers.get_attribute("data-ticket") == means["ticket"]
                assert numbers.get_attribute("data-reinit") == means["reinit"]
                assert numbers.get_attribute("data-random-prune") == means["random_prune"]
                assert means["ticket"] in numbers.inner_text()
                assert page_.locator(f"#{name}-value").inner_text().endswith(remaining)
                assert f"{len(SEEDS)} seeds" in page_.locator(f"#{name}-caption").inner_text()
                assert page_.locator(f"#{name}-accuracy .selected").count() == 1
            page_.keyboard.press("ArrowLeft")  # arrow keys move the focused slider one position
            assert page_.locator(f"#{name}-slider").input_value() == str(int(
                page_.locator(f"#{name}-slider").get_attribute("max")) - 1)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page_.screenshot(path=str(SCREENSHOTS / "demo_page.png"), full_page=True)
        assert errors == []
        assert [url for url in requests if not url.startswith("file://")] == []  # nothing left the page
        assert requests == [PAGE.resolve().as_uri()]
    finally:
        page_.close()
