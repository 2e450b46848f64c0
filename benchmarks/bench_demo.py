"""``zoo demo``'s speed: time to the first page, and a 16-image grid of a 32 px model from click to image.

Three figures, each against a reference measured in the same run on the same machine:

* first page: ``zoo demo`` started until ``GET /`` answers 200, against ``python -c 'import torch, gradio'``
  (the floor: the two imports every start pays);
* click -> image: in headless chromium (Debian's, through chromedriver) the Generate button clicked until the
  new grid has loaded in the page, against the same 16 images made in this process by ``handle.sample`` plus
  ``make_grid`` (the model's own work); without chromium, Gradio's Python client stands in for the browser;
* models loaded once and kept: ``Demo.generate`` the first time (the model is read from disk) and afterwards.

Run: python benchmarks/bench_demo.py [--rounds N] [--threads T]   (the server gets the same thread count)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from _machine import machine_line, spread
from zoo.processes import free_port, stop, wait_until_serving

N_IMAGES = 16


def _start(env: dict[str, str]) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "zoo", "demo", "--port", str(port), "--quiet"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    wait_until_serving(url, process, poll=0.02)
    return process, url, time.perf_counter() - started


def first_page(env: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """Seconds to the first page, and to the two imports alone, alternating round by round."""
    times: dict[str, list[float]] = {"python -c 'import torch, gradio' (floor)": [], "zoo demo -> first page": []}
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch, gradio"], env=env, check=True)
        times["python -c 'import torch, gradio' (floor)"].append(time.perf_counter() - started)
        process, _url, seconds = _start(env)
        times["zoo demo -> first page"].append(seconds)
        stop(process)
    return times


def _browser_click(url: str) -> Callable[[int], float]:
    """A function that sets the seed, clicks Generate and returns the seconds until the new grid has loaded."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.get(url)
    while not driver.find_elements(By.ID, "gen-button"):
        time.sleep(0.05)
    image_src = (
        "var i = document.querySelector('#generate-image img'); return i && i.complete && i.naturalWidth ? i.src : ''"
    )

    def click(seed: int) -> float:
        before = driver.execute_script(image_src)
        field = driver.find_element(By.CSS_SELECTOR, "input[aria-label='Seed']")
        field.clear()
        field.send_keys(str(seed), "\t")
        button = driver.find_element(By.ID, "gen-button")
        started = time.perf_counter()
        button.click()
        while driver.execute_script(image_src) in ("", before):
            time.sleep(0.005)
        return time.perf_counter() - started

    click.quit = driver.quit  # type: ignore[attr-defined]
    return click


def _client_click(url: str, name: str) -> Callable[[int], float]:
    """Gradio's Python client calling the Generate button's endpoint (no browser here)."""
    from gradio_client import Client

    client = Client(url, verbose=False)

    def click(seed: int) -> float:
        started = time.perf_counter()
        client.predict(name, seed, N_IMAGES, 1.0, None, api_name="/generate")
        return time.perf_counter() - started

    click.quit = client.close if hasattr(client, "close") else (lambda: None)  # type: ignore[attr-defined]
    return click


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args, _ = parser.parse_known_args()  # nox -s bench passes its arguments to every script
    header, _ = machine_line(args.threads)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(args.threads)}

    from zoo.demo.catalog import build_catalog
    from zoo.demo.jobs import Demo
    from zoo.demo.limits import Limits
    from zoo.images import make_grid
    from zoo.registry import get_registry

    catalog = build_catalog()
    name = catalog.first_generator  # what the Generate tab opens on, so the browser clicks the same model
    if name is None:
        raise SystemExit("no generator installed: install a plugin with weights (zoo list)")
    resolution = get_registry().checkpoints[name].resolution

    print(f"{header}\nzoo demo, {args.rounds} rounds; model {name} ({N_IMAGES} images of {resolution} px)\n")
    print("| what | seconds, median (min–max) |")
    print("|---|---|")
    for what, samples in first_page(env, args.rounds).items():
        print(f"| {what} | {spread(samples)} |")

    demo = Demo(catalog, Limits())
    started = time.perf_counter()
    demo.generate(name, 0, N_IMAGES)
    first_call = time.perf_counter() - started
    later = []
    for seed in range(1, args.rounds + 1):
        started = time.perf_counter()
        demo.generate(name, seed, N_IMAGES)
        later.append(time.perf_counter() - started)
    handle = demo.models.get(name)
    reference = []
    for seed in range(1, args.rounds + 1):
        started = time.perf_counter()
        make_grid(handle.sample(N_IMAGES, seed=seed).numpy())
        reference.append(time.perf_counter() - started)
    print(f"| handle.sample({N_IMAGES}) + make_grid in this process (reference) | {spread(reference)} |")
    print(f"| Demo.generate, first call (loads the model) | {first_call:.3g} |")
    print(f"| Demo.generate, later calls (model kept; loads: {demo.models.loads}) | {spread(later)} |")

    process, url, _ = _start(env)
    try:
        browser = bool(shutil.which("chromium") and shutil.which("chromedriver"))
        click = _browser_click(url) if browser else _client_click(url, name)
        try:
            first = click(1000)
            clicks = [click(1001 + i) for i in range(args.rounds)]
        finally:
            click.quit()  # type: ignore[attr-defined]
    finally:
        stop(process)
    how = "chromium: click -> new grid loaded in the page" if browser else "gradio_client: call -> result"
    print(f"| {how}, first click | {first:.3g} |")
    print(f"| {how}, later clicks | {spread(clicks)} |")
    print(f"\nclick -> image median {statistics.median(clicks):.3f} s against the 1 s goal; "
          f"the model's own work {statistics.median(reference):.3f} s")  # fmt: skip


if __name__ == "__main__":
    main()
