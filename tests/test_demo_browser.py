"""``zoo demo`` clicked through in a real browser: Debian's chromium driven by Selenium through chromedriver.

One server (the real ``zoo demo`` command on a free loopback port) and one headless browser for the module;
each test clicks through a tab, checks that the images appear with the size the models give, that the PNG
downloads, that a bad upload is a message in the page, and saves a screenshot (``ZOO_DEMO_SCREENSHOTS=DIR``
keeps them; README's images come from there). ``.ci/run`` installs chromium and chromium-driver, so in CI
(``CI`` set) a missing browser fails these tests instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from zoo.demo.catalog import build_catalog
from zoo.processes import free_port, stop, wait_until_serving
from zoo.registry import get_registry

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WAIT = 120  # seconds for a result on a busy 2-core CPU (a 16-image grid takes well under one)

try:
    import selenium
except ImportError:
    selenium = None
if not (CHROMIUM and CHROMEDRIVER and selenium):
    missing = "selenium (the test dependency group)" if CHROMIUM and CHROMEDRIVER else "chromium and chromium-driver"
    if os.environ.get("CI"):
        raise RuntimeError(f"CI must run the browser tests: install {missing} (.ci/run and nox -s tests do)")
    pytest.skip(f"needs {missing}: apt-get install chromium chromium-driver; pip install selenium",
                allow_module_level=True)  # fmt: skip
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``zoo demo`` on a free loopback port, stopped at the end of the module."""
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen([sys.executable, "-m", "zoo", "demo", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, process, WAIT)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(server: str, downloads: Path) -> Iterator[Any]:
    """Headless chromium (the system's: nothing is downloaded), on the demo's first page."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1100",
                     "--disable-gpu", "--no-first-run"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        driver.get(server)
        _until(lambda: driver.find_elements(By.ID, "gen-button"), "the page to load")
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("ZOO_DEMO_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _until(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll ``check`` until it returns something truthy."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _tab(driver: Any, name: str) -> None:
    tab = next(b for b in driver.find_elements(By.CSS_SELECTOR, "button[role=tab]") if b.text == name)
    tab.click()
    _until(lambda: tab.get_attribute("aria-selected") == "true", f"the {name} tab")


def _image(driver: Any, elem_id: str, previous: str | None = None) -> tuple[str, tuple[int, int]]:
    """The src and natural size of the image shown in ``elem_id`` once it has loaded (and differs from previous)."""

    def loaded() -> tuple[str, tuple[int, int]] | None:
        for img in driver.find_elements(By.CSS_SELECTOR, f"#{elem_id} img"):
            src = img.get_attribute("src") or ""
            size = driver.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", img)
            if src and src != previous and size[0] > 0 and img.is_displayed():
                return src, (size[0], size[1])
        return None

    return _until(loaded, f"an image in #{elem_id}")


def _current(driver: Any, elem_id: str) -> str | None:
    """The src of the image ``elem_id`` shows now, if any (tests may run in any order, on any xdist worker)."""
    srcs = [img.get_attribute("src") for img in driver.find_elements(By.CSS_SELECTOR, f"#{elem_id} img")]
    return next((src for src in srcs if src), None)


def _toast(driver: Any) -> str:
    """The text of the error message the page shows."""
    return _until(lambda: " ".join(t.text for t in driver.find_elements(By.CSS_SELECTOR, ".toast-body")), "a message")


def _set_number(driver: Any, label: str, value: int) -> None:
    field = next(f for f in driver.find_elements(By.CSS_SELECTOR, "input[type=number]")
                 if label in (f.get_attribute("aria-label") or "") and f.is_displayed())  # fmt: skip
    field.clear()
    field.send_keys(str(value))
    field.send_keys("\t")


def _shown(driver: Any, elem_id: str) -> bool:
    """Whether the element is on the page and visible (Gradio leaves hidden components out of it)."""
    return any(element.is_displayed() for element in driver.find_elements(By.ID, elem_id))


def _text(driver: Any, elem_id: str) -> str:
    """An element's text as one line (Gradio splits a file name into spans: 'holiday' '.png')."""
    return driver.find_element(By.ID, elem_id).text.replace("\n", "")


def _shoot(driver: Any, path: Path, elem_id: str | None = None) -> None:
    """A screenshot of the window, scrolled to the top (or so that ``elem_id`` is in view)."""
    if elem_id:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", driver.find_element(By.ID, elem_id))
    else:
        driver.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.3)
    driver.save_screenshot(str(path))


def _cell(name: str) -> int:
    resolution = get_registry().checkpoints[name].resolution
    return resolution * max(1, 128 // resolution)


def _close_toasts(driver: Any) -> None:
    for close in driver.find_elements(By.CSS_SELECTOR, ".toast-close"):
        if close.is_displayed():
            close.click()


def test_the_first_page_loads_everything_from_the_demo_itself(browser, server, screenshots):
    assert browser.title == "gan-zoo demo"
    tabs = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "button[role=tab]")]
    assert tabs == ["Generate", "Explore", "Stylize", "Translate", "Model card"]
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    outside = [url for url in resources if not url.startswith(server) and not url.startswith("data:")]
    assert resources and not outside, f"the page fetched from outside the demo: {outside}"
    browser.save_screenshot(str(screenshots / "demo-first-page.png"))


def test_generate_shows_the_grid_its_command_and_downloads_the_png(browser, downloads, screenshots):
    _tab(browser, "Generate")
    name = build_catalog().first_generator
    browser.find_element(By.ID, "gen-button").click()
    _src, size = _image(browser, "generate-image")
    side = 4 * _cell(name) + 10  # 16 images, 4 × 4 with 2 px of padding
    assert size == (side, side)
    command = _until(lambda: browser.find_element(By.ID, "gen-command").text, "the command")
    assert f"zoo sample {name} -n 16 --seed 0" in command
    _shoot(browser, screenshots / "demo-generate.png")
    browser.find_element(By.ID, "gen-download").click()
    png = _until(lambda: [p for p in downloads.glob("*.png") if p.stat().st_size > 0], "the downloaded PNG")[0]
    assert Image.open(png).size == (side, side)


def test_generate_another_seed_and_count(browser):
    _tab(browser, "Generate")
    before = _current(browser, "generate-image")
    _set_number(browser, "Seed", 5)
    _set_number(browser, "number input for Images", 4)
    browser.find_element(By.ID, "gen-button").click()
    _src, size = _image(browser, "generate-image", previous=before)
    side = 2 * _cell(build_catalog().first_generator) + 6
    assert size == (side, side)
    assert "-n 4 --seed 5" in browser.find_element(By.ID, "gen-command").text


def test_a_conditional_model_offers_its_classes(browser):
    _tab(browser, "Generate")
    catalog = build_catalog()
    name = next(n for n in catalog.generators if get_registry().checkpoints[n].classes)
    classes = get_registry().checkpoints[name].classes
    assert not _shown(browser, "gen-class")  # an unconditional model first: no class list
    before = _current(browser, "generate-image")
    field = browser.find_element(By.CSS_SELECTOR, "#gen-model input")
    field.click()
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(name, Keys.ENTER)
    _until(lambda: _shown(browser, "gen-class"), "the class list")
    browser.find_element(By.ID, "gen-button").click()
    _image(browser, "generate-image", previous=before)
    command = browser.find_element(By.ID, "gen-command").text
    assert f"zoo sample {name}" in command and f"--class {classes[0]}" in command


def test_explore_walks_mixes_and_sweeps(browser, screenshots):
    catalog = build_catalog()
    _tab(browser, "Explore")
    browser.find_element(By.ID, "walk-button").click()
    src, size = _image(browser, "walk-image")
    assert ".gif" in src and size == (_cell(catalog.first_generator),) * 2
    browser.find_element(By.ID, "mix-button").click()
    _src, size = _image(browser, "mix-image")
    cell = _cell(catalog.style_based[0])
    assert size == (4 * cell + 10, 4 * cell + 10)  # 3 × 3 mixes plus the sources' row and column
    browser.find_element(By.ID, "sweep-button").click()
    _src, size = _image(browser, "sweep-image")
    assert size == (6 * _cell(catalog.truncatable[0]) + 14, _cell(catalog.truncatable[0]) + 4)
    browser.save_screenshot(str(screenshots / "demo-explore.png"))


def test_stylize_a_bundled_example_with_a_bundled_style(browser, screenshots):
    _tab(browser, "Stylize")
    browser.find_element(By.ID, "style-button").click()
    _src, size = _image(browser, "style-image")
    assert max(size) == 256  # the example photo at the default working size
    assert "zoo stylize photo.jpg --style" in browser.find_element(By.ID, "style-command").text
    _shoot(browser, screenshots / "demo-stylize.png", "style-image")


def test_a_bad_upload_is_a_message_in_the_page(browser, tmp_path, screenshots):
    _tab(browser, "Stylize")
    broken = tmp_path / "holiday.png"
    broken.write_bytes(os.urandom(3000))
    browser.find_element(By.CSS_SELECTOR, "#style-upload input[type=file]").send_keys(str(broken))
    _until(lambda: "holiday.png" in _text(browser, "style-upload"), "the upload")
    browser.find_element(By.ID, "style-button").click()
    message = _toast(browser)
    assert "the photo 'holiday.png' is not an image this demo can read" in message
    assert "Traceback" not in browser.find_element(By.TAG_NAME, "body").text
    browser.save_screenshot(str(screenshots / "demo-bad-upload.png"))
    _close_toasts(browser)
    for clear in browser.find_elements(By.CSS_SELECTOR, "#style-upload button[aria-label='Clear']"):
        clear.click()


def test_a_style_learnt_from_an_uploaded_image_shows_progress(browser, tmp_path):
    _tab(browser, "Stylize")
    for clear in browser.find_elements(By.CSS_SELECTOR, "#style-upload button[aria-label='Clear']"):
        clear.click()
    style = tmp_path / "stripes.png"
    stripes = np.zeros((96, 96, 3), np.uint8)
    stripes[:, ::8] = (250, 200, 0)
    Image.fromarray(stripes).save(style)
    browser.find_element(By.CSS_SELECTOR, "#style-image-upload input[type=file]").send_keys(str(style))
    _until(lambda: "stripes.png" in _text(browser, "style-image-upload"), "the style upload")
    browser.find_elements(By.CSS_SELECTOR, "#style-choice label")[-1].click()
    _set_number(browser, "Optimisation steps", 60)
    before = _current(browser, "style-image")
    browser.find_element(By.ID, "style-button").click()
    progress = _until(lambda: [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".progress-level, .meta-text")
                               if "steps" in e.text or "learning" in e.text], "a progress bar")  # fmt: skip
    assert progress
    _src, size = _image(browser, "style-image", previous=before)
    assert max(size) == 256
    assert "--steps 60" in browser.find_element(By.ID, "style-command").text


def test_translate_runs_an_image_to_image_model(browser):
    _tab(browser, "Translate")
    browser.find_element(By.ID, "tr-button").click()
    _src, size = _image(browser, "tr-image")
    assert max(size) == 256
    assert "zoo translate " in browser.find_element(By.ID, "tr-command").text


def test_the_model_card_panel_shows_licence_and_training_command(browser, screenshots):
    _tab(browser, "Model card")
    name = browser.find_element(By.CSS_SELECTOR, "#card-model input").get_attribute("value")
    assert name == browser.find_element(By.CSS_SELECTOR, "#gen-model input").get_attribute("value")  # follows Generate
    spec = get_registry().checkpoints[name]
    text = _until(lambda: browser.find_element(By.ID, "card-text").text, "the card")
    assert name in text and spec.license in text
    assert (spec.train_command or spec.source)[:40] in text
    browser.save_screenshot(str(screenshots / "demo-card.png"))
