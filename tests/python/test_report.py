"""`haven report`: the HTML report opens offline in headless Chromium, draws its map and every chart, replays days
with its slider, makes no network request, and states the run file's numbers.

Run by CTest (test `python_output_tools`; HAVEN_BIN and HAVEN_TEST_ARTEFACTS are set there) or by hand from the
repository root:  HAVEN_BIN=build/default/bin/haven /usr/bin/python3 -m pytest -q -p no:cacheprovider \
    tests/python/test_report.py
Screenshots go to $HAVEN_TEST_ARTEFACTS (CTest: build/<preset>/test-artefacts/), else to pytest's tmp folder.
"""

import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True

from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
IDLIB = ROOT / "scenarios" / "idlib_2019_2020.yaml"
IDLIB_2018 = ROOT / "scenarios" / "idlib_2018.yaml"
VALLEY = ROOT / "scenarios" / "examples" / "valley.yaml"


def haven_bin() -> Path:
    path = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven")
    if not path.is_file():
        pytest.fail(f"haven binary not found at {path}: set HAVEN_BIN (CTest does) or build the default preset")
    return path.resolve()


def haven(*args, env=None, check=True):
    result = subprocess.run([str(haven_bin()), *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, **(env or {})})
    if check:
        assert result.returncode == 0, result.stderr
    return result


def artefact_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("HAVEN_TEST_ARTEFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def idlib_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    run = folder / "idlib_2019_2020.h5"
    haven("run", IDLIB, "-o", run)
    return run


@pytest.fixture(scope="module")
def variant_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("variants")
    runs = []
    for variant in ["full_offensive", "border_open", "camp_expansion"]:
        run = folder / f"idlib_2018-{variant}.h5"
        haven("run", IDLIB_2018, "--variant", variant, "-o", run)
        runs.append(run)
    return runs


# ---- the command ----

def test_report_is_one_self_contained_file(idlib_run, tmp_path):
    out = tmp_path / "r.html"
    result = haven("report", idlib_run, "-o", out)
    assert f"wrote {out}" in result.stdout
    html = out.read_text(encoding="utf-8")
    # Nothing the browser would load from elsewhere: no src/href/url() pointing at a server.
    # (Inside the inlined libraries, text such as Leaflet's attribution link is data, not a request: the browser
    # test below checks what is actually fetched.)
    lower = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S).lower()
    assert len(lower) < 20_000  # the page's markup and stylesheets; everything else is inlined script or data
    for pattern in ['src="http', "src='http", 'href="http', "href='http", "url(http", "url(//", 'src="//']:
        assert pattern not in lower, pattern
    assert "<script src" not in lower and '<link rel="stylesheet"' not in lower
    assert not list(tmp_path.glob("*.partial"))


def test_report_refuses_to_overwrite(idlib_run, tmp_path):
    out = tmp_path / "r.html"
    haven("report", idlib_run, "-o", out)
    before = out.read_bytes()
    again = haven("report", idlib_run, "-o", out, check=False)
    assert again.returncode == 2
    assert "exists; pass --overwrite" in again.stderr
    assert out.read_bytes() == before
    haven("report", idlib_run, "-o", out, "--overwrite")


def test_default_path_is_output_run_name(idlib_run, tmp_path):
    # The default is output/<run file's name>.html, relative to where haven is run.
    run = tmp_path / "myrun.h5"
    shutil.copy(idlib_run, run)
    subprocess.run([str(haven_bin()), "report", str(run)], cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / "output" / "myrun.html").is_file()


def test_missing_assets_name_setup_script(idlib_run, tmp_path):
    out = tmp_path / "r.html"
    result = haven("report", idlib_run, "-o", out, env={"HAVEN_REPORT_ASSETS": str(tmp_path / "none")}, check=False)
    assert result.returncode == 1
    assert "tools/setup.sh" in result.stderr
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_bad_inputs_are_refused(idlib_run, tmp_path):
    mixed = haven("report", idlib_run, VALLEY, "-o", tmp_path / "x.html", check=False)
    assert mixed.returncode == 2 and "not a run file" in mixed.stderr
    missing = haven("report", tmp_path / "nothing.h5", check=False)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    variant = haven("report", idlib_run, "--variant", "x", "-o", tmp_path / "x.html", check=False)
    assert variant.returncode == 2 and "--variant" in variant.stderr
    # Runs of two networks cannot share one map: refused, not a page that breaks in the browser.
    valley_run = tmp_path / "valley.h5"
    haven("run", VALLEY, "--quiet", "--days", "3", "-o", valley_run)
    networks = haven("report", idlib_run, valley_run, "-o", tmp_path / "x.html", check=False)
    assert networks.returncode == 2, networks.stderr
    assert f"{valley_run} of valley (9 places" in networks.stderr, networks.stderr
    assert "one report compares runs over one network" in networks.stderr
    # A file recording only part of the run would give false totals ("0 people left their homes"): refused, saying
    # what it lacks and how to record it all.
    for record, lacks in [("variables=departures,arrivals", "not the variables displaced_present, residents,"),
                          ("nodes=northcamp,southtown", "2 of the scenario's 9 places only"),
                          ("interval_days=7", "every 7 days, not every day")]:
        part = tmp_path / "part.h5"
        haven("run", VALLEY, "--quiet", "--overwrite", "--record", record, "-o", part)
        refused = haven("report", part, "-o", tmp_path / "x.html", check=False)
        assert refused.returncode == 2, (record, refused.stderr)
        assert f"{part} records only part of the run ({lacks}" in refused.stderr, refused.stderr
        assert "--record 'variables=all;nodes=all;interval_days=1'" in refused.stderr
    assert not list(tmp_path.glob("*.html"))
    # A network without roads records no road series, and is whole: reported.
    one_place = tmp_path / "one_place.yaml"
    one_place.write_text("scenario: {name: one_place, start_date: 2024-01-01, days: 5}\n"
                         "nodes:\n  - {id: town, name: Town, kind: town, lat: 35.0, lon: 36.0, population: 1000}\n")
    haven("run", one_place, "--quiet", "-o", tmp_path / "one_place.h5")
    haven("report", tmp_path / "one_place.h5", "-o", tmp_path / "one_place.html")
    assert (tmp_path / "one_place.html").exists()


# ---- in the browser ----

def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("python3-selenium is not installed (tools/setup.sh deps installs it)")
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("chromium or chromium-driver is not installed (tools/setup.sh deps installs them)")
    profile = tempfile.mkdtemp(prefix="haven-report-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,2000",
                 # The network cable pulled: no host name resolves, so any request would fail (and be logged).
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    return driver, profile


def open_report(path: Path):
    driver, profile = browser()
    driver.get(path.resolve().as_uri())
    ready = driver.execute_script("return document.body.dataset.ready === 'true'")
    return driver, profile, ready


def close(driver, profile):
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def report_headline(run: Path, out: Path) -> str:
    """The headline of `run`'s report, written to `out` and drawn in Chromium."""
    haven("report", run, "-o", out)
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        return driver.execute_script("return document.getElementById('headline').innerText")
    finally:
        close(driver, profile)


CANVASES = """
return Array.from(document.querySelectorAll('canvas')).filter((c) => c.offsetParent !== null).map((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let inked = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) inked++;
  const fig = c.closest('figure');
  return [c.id || (fig ? fig.querySelector('figcaption').textContent : '?'), c.width, c.height, inked];
});
"""
MAP_STATE = """
const paths = Array.from(document.querySelectorAll('#map .leaflet-overlay-pane path'));
return [paths.length, paths.map((p) => p.getAttribute('d') + p.getAttribute('stroke-width') + p.getAttribute('fill')).join('|')];
"""
MAP_LAYERS = """
const paths = Array.from(document.querySelectorAll('#map .leaflet-overlay-pane path'));
const where = (test) => paths.flatMap((p, i) => test(p) ? [i] : []);
const isArea = (p) => /area-(bombardment|ceasefire|capture|armed_conflict|camp_closure)/.test(p.getAttribute('class') || '');
const isLand = (p) => p.getAttribute('fill') === '#fbfbf6';
return {areas: where(isArea), land: where(isLand), network: where((p) => !isArea(p) && !isLand(p))};
"""
AXES = """
return Object.values(Chart.instances).filter((c) => c.canvas.offsetParent !== null).flatMap((c) =>
  Object.values(c.scales).map((s) => [c.canvas.id || '(place chart)', s.axis, s.options.title.display ? s.options.title.text : '']));
"""
REQUESTS = """
return performance.getEntriesByType('resource').map((e) => e.name)
  .concat(performance.getEntriesByType('navigation').map((e) => e.name));
"""


LABELS = """
return [...document.querySelectorAll('#map .node-label')].map((el) => {
  const r = el.getBoundingClientRect();
  return [getComputedStyle(el).visibility !== 'hidden', r.left, r.top, r.right, r.bottom, el.textContent];
});
"""


def overlap(a, b) -> bool:
    return a[1] < b[3] and a[3] > b[1] and a[2] < b[4] and a[4] > b[2]


def check_page(driver, name: str, tmp_path: Path, expect_charts: int):
    severe = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert severe == [], severe
    # No request left the page: the only entry is the file itself.
    requests = driver.execute_script(REQUESTS)
    assert [r for r in requests if not r.startswith("file:")] == [], requests
    # The map: country outlines and the network are drawn as SVG paths in Leaflet's overlay pane.
    count, _ = driver.execute_script(MAP_STATE)
    assert count > 20
    # Every visible chart has ink on it.
    canvases = driver.execute_script(CANVASES)
    assert len(canvases) >= expect_charts, canvases
    for label, width, height, inked in canvases:
        assert width > 100 and height > 50 and inked > 500, (label, width, height, inked)
    # Every chart is a named picture to a screen reader: its caption or heading and the series it draws.
    unnamed = driver.execute_script(
        "return Object.values(Chart.instances).map((c) => c.canvas)"
        ".filter((c) => c.getAttribute('role') !== 'img' || !(c.getAttribute('aria-label') || '').trim())"
        ".map((c) => c.id || c.closest('figure')?.textContent || '?')")
    assert unnamed == [], unnamed
    main = driver.execute_script("const c = document.getElementById('main-chart'); return c && c.getAttribute('aria-label')")
    assert main is None or ": " in main, main  # the series named after the heading
    # Every axis is labelled (the timeline's rows are their own labels).
    for chart, axis, title in driver.execute_script(AXES):
        assert title or (chart == "timeline" and axis == "y"), (chart, axis)
    # The slider replays the period: another day, another map.
    before = driver.execute_script(MAP_STATE)[1]
    driver.execute_script("const s = document.getElementById('day'); s.value = String(Math.floor(s.max * 0.6));"
                          "s.dispatchEvent(new Event('input'));")
    after = driver.execute_script(MAP_STATE)[1]
    assert after != before
    # The event areas of that day lie over the land and under the roads and places.
    layers = driver.execute_script(MAP_LAYERS)
    assert layers["areas"], layers
    assert min(layers["areas"]) > max(layers["land"]), layers
    assert max(layers["areas"]) < min(layers["network"]), layers
    label = driver.execute_script("return document.getElementById('day-label').textContent")
    assert any(month in label for month in ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                            "Nov", "Dec"]), label
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 1000), 12000))
    driver.execute_script("const s = document.getElementById('day'); s.value = String(Math.floor(s.max * 0.5));"
                          "s.dispatchEvent(new Event('input'));")
    shot = artefact_dir(tmp_path) / f"{name}.png"
    driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 50_000
    print(f"screenshot: {shot}")
    return shot


def test_single_run_report_in_chromium(idlib_run, tmp_path):
    out = tmp_path / "idlib_2019_2020.html"
    haven("report", idlib_run, "-o", out)
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        # Main chart, timeline, per-place charts, observations.
        check_page(driver, "report-idlib_2019_2020", tmp_path, expect_charts=5)
        headline = driver.execute_script("return document.getElementById('headline').innerText")
        with h5py.File(idlib_run, "r") as f:
            left_home = int(f["cumulative_displaced"][-1])
            returns = int(np.asarray(f["returns"]).sum())
        assert f"{left_home:,} people left their homes" in headline, headline
        assert f"{returns:,} people had gone back home" in headline, headline
        assert "seed" not in headline  # the seed is a footnote
        # Where people found refuge: the gain since the start, over the people the scenario hosts before day 0 (not
        # over the end of day 0, which already holds that day's arrivals).
        with h5py.File(idlib_run, "r") as f:
            scenario = yaml.safe_load(f.attrs["scenario_yaml"])
            end = np.asarray(f["displaced_present"][-1]).reshape(len(scenario["nodes"]), -1).sum(axis=1)
        before = [node.get("displaced", 0) for node in scenario["nodes"]]
        before = [sum(b.values()) if isinstance(b, dict) else b for b in before]
        gain, place = max((int(end[k] - before[k]), node["name"]) for k, node in enumerate(scenario["nodes"]))
        page = driver.execute_script("return document.body.innerText")
        assert re.search(rf"the displaced people present rose most in {re.escape(place)} \(\+{gain:,}\)", page), \
            re.findall(r"present rose most in [^.]*", page)
        # Idlib hosts people displaced before day 0, who count where they moved: said, since the rise can be larger
        # than the number who left home in the run.
        assert "(counting those displaced before 1 Dec 2019 who moved there)" in page, \
            re.findall(r"present rose most in [^.]*", page)
        # The place names on the map do not cover one another (Idlib's camps lie a few pixels apart): a name that
        # would is left out, and zooming in brings it back.
        labels = driver.execute_script(LABELS)
        assert len(labels) == 10, labels
        shown = [box for box in labels if box[0]]
        assert 3 <= len(shown) < 10, labels
        assert not any(overlap(a, b) for i, a in enumerate(shown) for b in shown[i + 1:]), shown
        driver.execute_script("window.havenReport.map.setZoom(window.havenReport.map.getZoom() + 2, {animate: false})")
        assert len([box for box in driver.execute_script(LABELS) if box[0]]) > len(shown)
        driver.execute_script("window.havenReport.map.setZoom(window.havenReport.map.getZoom() - 2, {animate: false})")
        notes = driver.execute_script("return document.getElementById('footnotes').innerText")
        assert "random seed" in notes
        # Each row of the timeline is told apart by its name as the axis shows it (on paper too, without the
        # tooltip): cut at their end, three roads out of one town read alike.
        rows = driver.execute_script("const c = Object.values(Chart.instances).find((c) => c.canvas.id === 'timeline');"
                                     "return [c.scales.y.ticks.map((t) => t.label), c.data.labels]")
        assert len(rows[0]) == len(rows[1]) > 40 and len(set(rows[0])) == len(rows[0]), rows[0]
        assert "Road closed: Ariha – Saraqeb" in rows[0], rows[0]  # whole, where it fits
        # A road the map draws closed carries nobody that day. The engine reopens a node's closed roads when the
        # fighting for it (a capture) ends; the page drew them closed to the end while thousands travelled them.
        with h5py.File(idlib_run, "r") as f:
            inflow = np.asarray(f["corridor_inflow"])
        drawn_closed = 0
        for day in range(inflow.shape[0]):
            closed = driver.execute_script("return window.havenReport.closedRoads(arguments[0])", day)
            travelled = [k for k, shut in enumerate(closed) if shut and inflow[day, k] > 0]
            assert not travelled, (day, travelled, [int(inflow[day, k]) for k in travelled])
            drawn_closed += sum(closed)
        assert drawn_closed > 100  # the front line's roads are drawn closed while it holds
        # The roads the page reopens when a capture ends are those the engine reopened (its log), front lines kept.
        logged = logged_reopenings(idlib_run)
        # None here: Saraqeb's roads stay closed when its opposition retake ends, since the government retakes it
        # that day (the fighting for it goes on), and every other capture's closed roads are front lines.
        assert logged == [], logged
        assert driver.execute_script("return window.havenReport.reopenings()") == []
        # ... and the page's own working-out, which a scenario preview or an ensemble draws, agrees with the engine.
        assert driver.execute_script("return window.havenReport.reopenings(true)") == []
        # Printed, the map shows the whole network in the page's width (the screen's view, in a window of 1280 px,
        # cut off its east and south on A4), without its zoom buttons; the screen's view comes back after. A browser
        # says "beforeprint" before it lays the page out for paper, and the print media query's change a frame later:
        # each alone fits the map.
        view = "const m = window.havenReport.map; return [m.getCenter().lat, m.getCenter().lng, m.getZoom()]"
        places = [[node["lat"], node["lon"], node["id"]] for node in scenario["nodes"]]
        # Where each place is drawn in the map's box as it is laid out now (what paper shows), not where the map
        # thinks its box is.
        outside = ("const m = window.havenReport.map, box = document.getElementById('map');"
                   "return arguments[0].filter((p) => { const at = m.latLngToContainerPoint([p[0], p[1]]);"
                   " return at.x < 0 || at.y < 0 || at.x > box.clientWidth || at.y > box.clientHeight; })"
                   ".map((p) => p[2])")
        frames = ("const done = arguments[arguments.length - 1];"
                  "requestAnimationFrame(() => requestAnimationFrame(() => done(true)))")
        on_screen = driver.execute_script(view)
        driver.execute_script("window.havenReport.map.setView(arguments[0], arguments[1], {animate: false})",
                              on_screen[:2], on_screen[2] + 1)  # a planner zoomed in before printing
        zoomed = driver.execute_script(view)
        window = driver.get_window_size()
        driver.execute_script("window.dispatchEvent(new Event('beforeprint'))")
        assert driver.execute_script(outside, places) == [], driver.execute_script(outside, places)
        # ... then the page laid out on A4 (794 px at 96 dpi): fitted there too, not left as fitted before.
        driver.set_window_size(794, 1123)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        driver.execute_async_script(frames)
        assert driver.execute_script(outside, places) == [], driver.execute_script(outside, places)
        assert driver.execute_script(
            "return getComputedStyle(document.querySelector('.leaflet-control-zoom')).display") == "none"
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        driver.set_window_size(window["width"], window["height"])
        driver.execute_async_script(frames)
        driver.execute_script("window.dispatchEvent(new Event('afterprint'))")
        back = driver.execute_script(view)
        assert back[2] == zoomed[2] and back[:2] == pytest.approx(zoomed[:2], abs=0.01), (back, zoomed)
        # The print media query alone (a browser without the print events) fits it too.
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        driver.execute_async_script(frames)
        assert driver.execute_script(outside, places) == [], driver.execute_script(outside, places)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        driver.execute_async_script(frames)
        back = driver.execute_script(view)
        assert back[2] == zoomed[2] and back[:2] == pytest.approx(zoomed[:2], abs=0.01), (back, zoomed)
        # It prints on A4 (the print stylesheet's page size), the slider and buttons left out.
        pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True,
                                                                          "printBackground": True})["data"])
        (artefact_dir(tmp_path) / "report-idlib_2019_2020.pdf").write_bytes(pdf)
        boxes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)
        assert boxes and all(abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in boxes), boxes[:3]
        assert 2 <= len(boxes) <= 30
    finally:
        close(driver, profile)


def test_an_observation_over_several_places_is_compared_with_the_model_over_those_places(tmp_path):
    """UNHCR's total over Mali's seven camps: the model's line is the displaced present in those camps, not in the
    whole network (which holds the towns' displaced people too), and the caption names the places and the series."""
    run = tmp_path / "mali2012.h5"
    haven("run", ROOT / "scenarios" / "flee" / "mali2012.yaml", "-o", run, "--quiet")
    out = tmp_path / "mali2012.html"
    haven("report", run, "-o", out)
    with h5py.File(run, "r") as f:
        ids = [x.decode() for x in f["node_id"][...]]
        camps = ["Bobo_Dioulasso", "Mentao", "Fassala_Mbera", "Abala", "Mangaize", "Tabareybarey", "Niamey"]
        present = np.asarray(f["displaced_present"])
        in_camps = present[:, [ids.index(c) for c in camps]].sum(axis=1)
        everywhere = present.sum(axis=1)
    assert everywhere[-1] > in_camps[-1] * 1.05  # the two differ, so the test tells them apart
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        charts = driver.execute_script("""
            return [...document.querySelectorAll('#observation-charts figure')].map((f) => {
              const chart = Chart.getChart(f.querySelector('canvas'));
              const model = chart.data.datasets.find((d) => d.label.startsWith('Model'));
              return [f.querySelector('figcaption').textContent, model ? model.data.map((p) => p.y) : null];
            });""")
        total = next(model for caption, model in charts if caption.endswith("unhcr_total"))
        caption = next(caption for caption, _ in charts if caption.endswith("unhcr_total"))
        assert caption == "Displaced people present at 7 places (Bobo-Dioulasso, Mentao, …) unhcr_total", caption
        assert total == pytest.approx(list(in_camps), abs=0.5)
    finally:
        close(driver, profile)


def test_three_variant_comparison_in_chromium(variant_runs, tmp_path):
    out = tmp_path / "idlib_2018-comparison.html"
    haven("report", *variant_runs, "-o", out)
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        check_page(driver, "report-idlib_2018-comparison", tmp_path, expect_charts=6)
        header = driver.execute_script(
            "return Array.from(document.querySelectorAll('#comparison thead th')).map((t) => t.textContent)")
        assert header[1:] == ["full offensive", "border open", "camp expansion"]
        # Each what-if is said whole: a long one opens in place rather than being cut.
        said = driver.execute_script(
            "return Array.from(document.querySelectorAll('#comparison tbody tr:first-child td')).map((td) => {"
            " const whole = td.querySelector('details p'); return whole ? whole.textContent : td.textContent; })")
        described = []
        for run in variant_runs:
            with h5py.File(run, "r") as f:
                text = f.attrs.get("variant_description") or f.attrs.get("description")
                described.append(text.decode() if isinstance(text, bytes) else str(text))
        assert said == described, (said, described)
        assert any(len(d) > 160 for d in described)  # the long case is exercised
        table = driver.execute_script("return document.getElementById('comparison').innerText")
        left = []
        for run in variant_runs:
            with h5py.File(run, "r") as f:
                left.append(int(f["cumulative_displaced"][-1]))
        assert f"{left[1]:,}" in table and f"{left[2]:,}" in table
        diff = left[1] - left[0]
        assert (f"{'+' if diff > 0 else '−'}{abs(diff):,}" if diff else "±0") in table, table
        # Without shelter at the end differs between the variants: the table shows each value and its difference.
        unsheltered = []
        for run in variant_runs:
            with h5py.File(run, "r") as f:
                unsheltered.append(int(np.asarray(f["unsheltered"]).sum(axis=1).max()))
        step = unsheltered[2] - unsheltered[0]
        assert step != 0
        assert f"{unsheltered[2]:,}" in table and f"{'+' if step > 0 else '−'}{abs(step):,}" in table, table
        # A variant whose line is another's, day for day, is drawn under it: its legend says whose line it is.
        # (The border's opening changes nobody's leaving in the 2018 projection: the same newly displaced.)
        lines = driver.execute_script(
            "return Chart.getChart(document.getElementById('comparison-chart')).data.datasets"
            ".filter((d) => d.borderWidth === 2).map((d) => [d.label, d.data.map((p) => p.y)])")
        assert [label.split(" (")[0] for label, _ in lines] == ["full offensive", "border open", "camp expansion"]
        same = [(next(i for i in range(j) if lines[i][1] == lines[j][1]), j) for j in range(len(lines))
                if any(lines[i][1] == lines[j][1] for i in range(j))]
        assert same, [label for label, _ in lines]
        for i, j in same:
            assert f"(the same line as {lines[i][0].split(' (')[0]})" in lines[j][0], lines[j][0]
        # Picking another variant redraws the map and the charts for it.
        before = driver.execute_script(MAP_STATE)[1]
        driver.execute_script("const s = document.getElementById('variant-select'); s.value = '1';"
                              "s.dispatchEvent(new Event('change'));")
        assert driver.execute_script(MAP_STATE)[1] != before
        assert driver.get_log("browser") == []
    finally:
        close(driver, profile)


def test_a_blocked_evacuation_is_said_and_marked_on_the_timeline(tmp_path):
    # The closure cuts the evacuation's only road from day 14: on its 5 days it moves nobody.
    run = tmp_path / "blocked.h5"
    haven("run", VALLEY, "--quiet", "--set", "events.road_cut.corridor=rivertown-midcity", "--set",
          "events.road_cut.day=14", "-o", run)
    out = tmp_path / "blocked.html"
    haven("report", run, "-o", out)
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        headline = driver.execute_script("return document.getElementById('headline').innerText")
        assert ("The evacuation from River Town to Mid City found no open route on 5 days from 17 Mar 2024"
                in headline), headline
        marked = driver.execute_script(
            "const d = Chart.getChart(document.getElementById('timeline')).data.datasets"
            ".find((d) => d.label.startsWith('evacuation blocked')); return d ? d.data.map((p) => p.x) : null")
        assert marked == [[16, 21]], marked
        # Its legend box is the evacuation's blue, hollow: not a closed road's black.
        looks = driver.execute_script(
            "const sets = Chart.getChart(document.getElementById('timeline')).data.datasets;"
            "const of = (w) => sets.find((d) => d.label === w);"
            "const blocked = of('evacuation blocked (no open route)');"
            "return [blocked.borderColor, blocked.backgroundColor,"
            "        of('evacuation').backgroundColor, of('road closed').backgroundColor]")
        assert looks[0] == looks[2] and looks[1] not in (looks[2], looks[3]), looks
        assert driver.get_log("browser") == []
    finally:
        close(driver, profile)
    # Without the closure there: nothing said.
    haven("run", VALLEY, "--quiet", "-o", tmp_path / "open.h5")
    haven("report", tmp_path / "open.h5", "-o", tmp_path / "open.html")
    assert "found no open route" not in (tmp_path / "open.html").read_text()


def logged_reopenings(run):
    """[day, road] of each road the engine's log says it reopened when a capture's fighting ended."""
    with h5py.File(run, "r") as f:
        kinds = [k.decode() if isinstance(k, bytes) else k for k in f["events/kind"][()]]
        return sorted([int(t), int(c)] for k, t, c in zip(kinds, f["events/time"][()], f["events/corridor"][()])
                      if k == "corridor_reopened")


def test_the_roads_a_capture_reopens_are_drawn_open_as_the_engine_logged_them(tmp_path):
    # valley: South Town's fighting ends on day 34, and its closed road to the capital (on the captor's side) opens.
    run = tmp_path / "valley.h5"
    haven("run", VALLEY, "--quiet", "-o", run)
    logged = logged_reopenings(run)
    assert logged, "no road reopened in the run"
    out = tmp_path / "valley.html"
    haven("report", run, "-o", out)
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        assert sorted(driver.execute_script("return window.havenReport.reopenings()")) == logged
        assert sorted(driver.execute_script("return window.havenReport.reopenings(true)")) == logged
        day, road = logged[0]
        assert driver.execute_script("return window.havenReport.closedRoads(arguments[0])", day - 1)[road]
        assert not driver.execute_script("return window.havenReport.closedRoads(arguments[0])", day)[road]
        timeline = driver.execute_script(
            "return Chart.getChart(document.getElementById('timeline')).data.labels.join('|')")
        assert "Road reopened: " in timeline and "(fighting for " in timeline, timeline
    finally:
        close(driver, profile)


def test_a_run_cut_short_while_displacement_rises_is_not_said_to_peak(tmp_path):
    run = tmp_path / "ten_days.h5"
    haven("run", VALLEY, "--quiet", "--days", "10", "-o", run)
    headline = report_headline(run, tmp_path / "ten_days.html")
    assert "Displacement had not peaked by the end of the run: on its last day, 10 Mar 2024: " in headline, headline
    assert "peaked on" not in headline, headline
    # Shelter is counted at places: the headline does not say people on the roads had it.
    assert ("had no shelter at the places they had reached" in headline
            or "everyone who had reached a place had shelter" in headline), headline
    assert "every displaced person had shelter" not in headline, headline
    # Compared with another run cut alike, the table says its "peak" is the last day, not yet the peak.
    other = tmp_path / "ten_days_open.h5"
    haven("run", VALLEY, "--quiet", "--days", "10", "--variant", "border_open", "-o", other)
    both = tmp_path / "both.html"
    haven("report", run, other, "-o", both)
    driver, profile, ready = open_report(both)
    try:
        assert ready, driver.get_log("browser")
        row = driver.execute_script(
            "return [...document.querySelectorAll('#comparison tr')].find((r) => r.textContent.startsWith("
            "'Newly displaced away from home at the peak')).innerText")
        assert row.count("the last day: not yet the peak") == 2, row
        # The reported points after the run's last day are said, not silently left off the chart.
        notes = driver.execute_script(
            "return [...document.querySelectorAll('.observation-after-end')].map((n) => n.textContent)")
        assert notes == ["3 of the 3 reported points fall after the run's last day, 10 Mar 2024, and are not drawn."], \
            notes
    finally:
        close(driver, profile)


def test_an_expected_mode_plateau_peaks_where_it_starts_not_at_its_highest_rounding(tmp_path):
    # An expected-mode file holds each place's figure rounded to whole people: after displacement stops, valley's
    # people away wobble by a few from day to day, and the highest wobble (5 Apr) had been taken for the peak. The
    # peak is the first day within the rounding of the most (half a person a rounded term).
    run = tmp_path / "expected.h5"
    haven("run", VALLEY, "--quiet", "--mode", "expected", "-o", run)
    with h5py.File(run, "r") as f:
        columns = f["displaced_present"].shape[1]
        corridors = f["in_transit"].shape[1]
        away = (f["displaced_present"][:].sum(axis=1) + f["in_transit"][:].sum(axis=1)
                + f["waiting"][:].sum(axis=1)).astype(float)
        start = np.datetime64(f.attrs["start_date"])
    tolerance = 0.5 * (2 * columns + corridors)
    first = int(np.argmax(away >= away.max() - tolerance))
    assert first < int(np.argmax(away)), "the file should show the wobble this test is about"
    headline = report_headline(run, tmp_path / "expected.html")
    day = (start + np.timedelta64(first, "D")).astype(object)
    assert f"Displacement peaked on {day.day} {day.strftime('%b %Y')}: " in headline, (headline, first)


def test_scenario_preview_in_chromium(tmp_path):
    out = tmp_path / "preview.html"
    result = haven("report", IDLIB_2018, "--variant", "full_offensive", "-o", out)
    assert "wrote" in result.stdout
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        check_page(driver, "report-idlib_2018-preview", tmp_path, expect_charts=2)
        rows = driver.execute_script("return document.getElementById('timeline-box').style.height")
        assert int(rows.rstrip("px")) > 200  # the full offensive's many events each have a row
    finally:
        close(driver, profile)


TOOLTIPS = """
const texts = [];
window.havenReport.map.eachLayer((layer) => {
  const tip = layer.getTooltip && layer.getTooltip();
  if (tip) texts.push(String(tip.getContent()));
  if (layer.getContent) texts.push(String(layer.getContent()));
});
return texts;
"""


def test_names_are_shown_as_text_not_run_as_html(tmp_path):
    # A place's name may come from anyone (a third party's Flee CSV): markup in it is shown, never made into page
    # elements, in the map's labels and tooltips alike.
    name = 'Hill <img src=x onerror="window.injected=1"> & Camp'
    scenario = tmp_path / "names.yaml"
    scenario.write_text(VALLEY.read_text().replace("name: Hill Camp,", f"name: '{name}',", 1), encoding="utf-8")
    run = tmp_path / "names.h5"
    haven("run", scenario, "--quiet", "-o", run)
    out = tmp_path / "names.html"
    haven("report", run, "-o", out)
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        driver.execute_script("window.havenReport.map.eachLayer((l) => l.openTooltip && l.getTooltip && "
                              "l.getTooltip() && l.openTooltip())")
        assert driver.execute_script("return window.injected === undefined")
        assert driver.execute_script("return document.querySelectorAll('img[src=\"x\"]').length") == 0
        texts = driver.execute_script(TOOLTIPS)
        escaped = "Hill &lt;img src=x onerror=&quot;window.injected=1&quot;&gt; &amp; Camp"
        assert any(escaped in t for t in texts), texts
        assert not any("<img" in t for t in texts), texts
        shown = driver.execute_script("return document.getElementById('map').textContent")
        assert name in shown, shown  # a tooltip opened above reads as the name itself
    finally:
        close(driver, profile)


def test_runs_of_one_variant_are_told_apart_by_their_files(tmp_path):
    runs = []
    for seed in (1, 2):
        run = tmp_path / f"seed{seed}.h5"
        haven("run", VALLEY, "--quiet", "--seed", seed, "-o", run)
        runs.append(run)
    out = tmp_path / "seeds.html"
    haven("report", *runs, "-o", out)
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        header = driver.execute_script(
            "return Array.from(document.querySelectorAll('#comparison thead th')).map((t) => t.textContent)")
        assert header[1:] == ["the scenario as written (seed1.h5)", "the scenario as written (seed2.h5)"], header
    finally:
        close(driver, profile)


# ---- ensembles: the median and the 5-95% band ----

ENSEMBLE_SWEEP = """sweep:
  name: {name}
  scenario: {scenario}
  variant: {variant}
  seed: 5
  replicates: 3
design:
  method: list
  points:
    - {{threat_kernel_km: 1}}
    - {{threat_kernel_km: 3}}
"""


@pytest.fixture(scope="module")
def ensembles(tmp_path_factory):
    """Two small ensembles of the 2018 projection (6 members each: 2 kernel widths x 3 seeds), gathered."""
    folder = tmp_path_factory.mktemp("ensembles")
    made = []
    for variant in ["full_offensive", "camp_expansion"]:
        name = f"idlib_2018_{variant}"
        sweep = folder / f"{name}.yaml"
        sweep.write_text(ENSEMBLE_SWEEP.format(name=name, scenario=IDLIB_2018, variant=variant))
        haven("sweep", sweep, "-o", folder / name, "-q", "-j", "2")
        haven("gather", folder / name)
        made.append(folder / name / "ensemble.h5")
    return made


def page_round(x: float) -> int:
    """Half up, as the page's Math.round: Python's round() takes a tie like 349,012.5 to the even 349,012."""
    return int(np.floor(x + 0.5))


def member_figures(ensemble: Path):
    """Per member, from the ensemble file: left home by the end, and unsheltered per day (network-wide)."""
    with h5py.File(ensemble, "r") as f:
        usable = np.asarray(f["status"]) == 0
        left = np.asarray(f["cumulative_displaced"])[usable, -1]
        unsheltered = np.asarray(f["unsheltered"]).sum(axis=2)[usable]
    return left, unsheltered


CHART_DATA = """
const chart = Object.values(Chart.instances).find((c) => c.canvas.id === arguments[0]);
return chart.data.datasets.map((d) => [d.label, !!d.band, d.fill === undefined ? null : d.fill, d.data.map((p) => p.y)]);
"""


def test_ensemble_comparison_shows_medians_and_bands_in_chromium(ensembles, tmp_path):
    out = tmp_path / "ensembles.html"
    haven("report", *ensembles, "-o", out)
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        check_page(driver, "report-idlib_2018-ensembles", tmp_path, expect_charts=6)
        header = driver.execute_script(
            "return Array.from(document.querySelectorAll('#comparison thead th')).map((t) => t.textContent)")
        assert header[1:] == ["full offensive (6 runs)", "camp expansion (6 runs)"]
        # The table gives each figure's median over the members and its 5-95% range (numpy's percentiles).
        cells = driver.execute_script(
            "return Array.from(document.querySelectorAll('#comparison tbody tr')).map((tr) =>"
            " [tr.querySelector('th').textContent, Array.from(tr.querySelectorAll('td')).map((td) => td.innerText)])")
        rows = dict(cells)
        for column, ensemble in enumerate(ensembles):
            left, unsheltered = member_figures(ensemble)
            assert len(left) == 6
            p05, median, p95 = np.percentile(left, [5, 50, 95])
            cell = rows["People who left home"][column]
            assert cell.startswith(f"{page_round(median):,}"), cell
            assert f"5–95%: {page_round(p05):,} – {page_round(p95):,}" in cell, cell
            most = np.percentile(unsheltered.max(axis=1), [5, 50, 95])
            cell = rows["The most without shelter on one day"][column]
            half_up = [page_round(x) for x in most]
            assert cell.startswith(f"{half_up[1]:,}") and f"5–95%: {half_up[0]:,} – {half_up[2]:,}" in cell, (cell, most)
        assert len(driver.find_elements("css selector", "#comparison .band")) == 2 * 6
        # The charts: per ensemble a 5th-percentile line, a 95th filled down to it, then the median.
        datasets = driver.execute_script(CHART_DATA, "comparison-unsheltered")
        assert [band for _, band, _, _ in datasets] == [True, True, False] * 2
        for column, ensemble in enumerate(ensembles):
            (_, _, low_fill, low), (_, _, high_fill, high), (label, _, _, middle) = datasets[3 * column:3 * column + 3]
            assert high_fill == "-1" and low_fill is False
            _, unsheltered = member_figures(ensemble)
            np.testing.assert_allclose(low, np.percentile(unsheltered, 5, axis=0), rtol=1e-9)
            np.testing.assert_allclose(middle, np.median(unsheltered, axis=0), rtol=1e-9)
            np.testing.assert_allclose(high, np.percentile(unsheltered, 95, axis=0), rtol=1e-9)
            assert (np.asarray(high) > np.asarray(low)).any()  # the band has width
        # The legend names the variants only, not the band edges.
        legend = driver.execute_script(
            "const c = Object.values(Chart.instances).find((c) => c.canvas.id === 'comparison-unsheltered');"
            "return c.legend.legendItems.map((i) => i.text)")
        assert legend == ["full offensive (6 runs)", "camp expansion (6 runs)"]
        # The main chart draws the bands of the selected ensemble too.
        main = driver.execute_script(CHART_DATA, "main-chart")
        assert sum(band for _, band, _, _ in main) == 4  # newly displaced and without shelter
        notes = driver.execute_script("return document.getElementById('footnotes').innerText")
        assert "6 simulated runs" in notes and "median" in notes and "threat_kernel_km" in notes
        assert "seed" not in driver.execute_script("return document.getElementById('headline').innerText")
    finally:
        close(driver, profile)


def test_single_ensemble_report_in_chromium(ensembles, tmp_path):
    # The default name comes from the sweep's folder, not from "ensemble.h5".
    subprocess.run([str(haven_bin()), "report", str(ensembles[0])], cwd=tmp_path, check=True, capture_output=True)
    out = tmp_path / "output" / "idlib_2018_full_offensive.html"
    assert out.is_file()
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        check_page(driver, "report-idlib_2018-ensemble", tmp_path, expect_charts=6)
        assert driver.execute_script("return document.getElementById('comparison-heading').textContent") == \
            "The range over 6 runs"
        # The headline already gives the figures with their ranges: no one-column table repeats them.
        assert not driver.execute_script("return document.getElementById('comparison').offsetParent")
        headline = driver.execute_script("return document.getElementById('headline').innerText")
        left, _ = member_figures(ensembles[0])
        p05, median, p95 = np.percentile(left, [5, 50, 95])
        assert f"{page_round(median):,} people left their homes" in headline, headline
        assert f"(5–95%: {page_round(p05):,} – {page_round(p95):,})" in headline, headline
        description = driver.execute_script("return document.getElementById('variant-description').textContent")
        with h5py.File(ensembles[0], "r") as f:
            assert description == f.attrs["variant_description"]  # the variant's own, kept by gather
            distinct = len(set(np.asarray(f["seed"]).tolist()))
        # The notes say how the runs differ: here each its own seed, and two kernel widths, which the range spans.
        notes = driver.execute_script("return document.getElementById('footnotes').innerText")
        assert distinct == 6 and "each run with its own random seed and different values of threat_kernel_km" in notes
        assert "over the swept values as well as chance" in notes, notes
    finally:
        close(driver, profile)


def test_ensemble_among_run_files_in_chromium(ensembles, variant_runs, tmp_path):
    out = tmp_path / "mixed.html"
    haven("report", variant_runs[0], ensembles[1], "-o", out)
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        header = driver.execute_script(
            "return Array.from(document.querySelectorAll('#comparison thead th')).map((t) => t.textContent)")
        assert header[1:] == ["full offensive", "camp expansion (6 runs)"]
        assert len(driver.find_elements("css selector", "#comparison .band")) == 6  # the ensemble's column only
        assert driver.get_log("browser") == []
    finally:
        close(driver, profile)


# ---- colour-blind-safe palette ----

# Okabe-Ito (the report's palette), and the neutral greys, white and paper tone of outlines and idle roads.
OKABE_ITO = {"#0072b2", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#d55e00", "#cc79a7", "#000000"}
NEUTRAL = {"#777777", "#9a9a9a", "#8a8a8a", "#ffffff", "#fbfbf6"}
COLOURS = """
const hex = (c) => (typeof c === 'string' && c.startsWith('#')) ? c.slice(0, 7).toLowerCase() : String(c);
const used = [];
for (const chart of Object.values(Chart.instances)) {
  for (const d of chart.data.datasets) {
    for (const c of [d.borderColor, d.backgroundColor].flat()) if (c !== undefined) used.push(hex(c));
  }
}
for (const p of document.querySelectorAll('#map .leaflet-overlay-pane path')) {
  for (const a of ['stroke', 'fill']) {
    const c = p.getAttribute(a);
    if (c && c !== 'none') used.push(hex(c));
  }
}
return Array.from(new Set(used));
"""


def test_every_colour_is_from_the_colour_blind_safe_palette(ensembles, variant_runs, tmp_path):
    # Run files and an ensemble: every chart's lines and bands and every map mark, on several days.
    out = tmp_path / "palette.html"
    haven("report", *variant_runs, ensembles[0], "-o", out)
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        used = set()
        for share in [0, 0.3, 0.6, 1]:
            driver.execute_script("const s = document.getElementById('day'); s.value = String(Math.floor(s.max * "
                                  f"{share})); s.dispatchEvent(new Event('input'));")
            used |= set(driver.execute_script(COLOURS))
        assert len(used & OKABE_ITO) >= 6, used
        assert used <= OKABE_ITO | NEUTRAL, used - OKABE_ITO - NEUTRAL
    finally:
        close(driver, profile)


def test_ensemble_with_common_random_numbers_says_its_seeds_are_shared(tmp_path):
    sweep = tmp_path / "crn.yaml"
    sweep.write_text(f"sweep:\n  name: crn\n  scenario: {VALLEY}\n  seed: 3\n  replicates: 2\n  days: 20\n"
                     "  common_random_numbers: true\ndesign:\n  method: list\n  points:\n"
                     "    - {threat_kernel_km: 1}\n    - {threat_kernel_km: 2}\n")
    haven("sweep", sweep, "-o", tmp_path / "crn", "-q")
    haven("gather", tmp_path / "crn")
    out = tmp_path / "crn.html"
    haven("report", tmp_path / "crn" / "ensemble.h5", "-o", out)
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        notes = driver.execute_script("return document.getElementById('footnotes').innerText")
        assert "2 random seeds, each shared by the runs of the swept values (common random numbers)" in notes, notes
        assert "each run with its own random seed" not in notes
    finally:
        close(driver, profile)


def test_a_wide_comparison_fits_the_printed_page(tmp_path):
    """Ten runs side by side: on screen the table scrolls; printed (A4) it shrinks to the page, every column there."""
    files = []
    for seed in range(1, 10):
        files.append(tmp_path / f"valley-seed{seed}.h5")
        haven("run", VALLEY, "--quiet", "--seed", str(seed), "-o", files[-1])
    files.append(tmp_path / "valley-border_open.h5")
    haven("run", VALLEY, "--quiet", "--variant", "border_open", "-o", files[-1])
    out = tmp_path / "wide.html"
    haven("report", *files, "-o", out)
    driver, profile, ready = open_report(out)
    try:
        assert ready, driver.get_log("browser")
        driver.set_window_size(794, 1123)  # an A4 page at 96 dpi
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        widths = driver.execute_script(
            "const t = document.getElementById('comparison'); const w = t.parentElement;"
            "return [t.scrollWidth, w.clientWidth, t.rows[0].cells.length];")
        assert widths[2] == 11, widths  # a label column and one per run
        assert widths[0] <= widths[1], widths
        shot = artefact_dir(tmp_path) / "report-wide-print.png"
        driver.save_screenshot(str(shot))
    finally:
        close(driver, profile)


def test_each_run_is_measured_against_its_own_people_displaced_before_day_0(tmp_path):
    """A variant or a --set that changes how many people were displaced before day 0 changes what "newly displaced"
    leaves out for that run only: the comparison shows each run as its own report does."""
    base, edited = tmp_path / "base.h5", tmp_path / "midcity0.h5"
    haven("run", VALLEY, "--quiet", "-o", base)
    haven("run", VALLEY, "--quiet", "--set", "nodes.midcity.displaced=0", "-o", edited)
    figures = {}
    for name, files in {"alone": [edited], "both": [base, edited]}.items():
        out = tmp_path / f"{name}.html"
        haven("report", *files, "-o", out)
        driver, profile, ready = open_report(out)
        try:
            assert ready, driver.get_log("browser")
            if name == "both":
                driver.execute_script("const s = document.querySelector('#variant-picker select'); s.value = '1';"
                                      "s.dispatchEvent(new Event('change'));")
            figures[name] = driver.execute_script(
                "return [Math.max(...window.havenReport.series().newlyAway),"
                " [...document.querySelectorAll('#headline li')].map((li) => li.textContent).join(' | ')]")
        finally:
            close(driver, profile)
    with h5py.File(edited, "r") as f:
        people = f["displaced_present"][...].sum(axis=1) + f["in_transit"][...].sum(axis=1) \
            + f["waiting"][...].sum(axis=1)
    scenario = yaml.safe_load(VALLEY.read_text())
    before = sum(n.get("displaced", 0) for n in scenario["nodes"] if n["id"] != "midcity")
    assert figures["alone"][0] == max(0, int(people.max()) - before), figures
    assert figures["both"][0] == figures["alone"][0], figures
    assert f"on top of {before:,} displaced before" in figures["both"][1], figures


def test_flee_rules_run_says_its_people_were_added_not_that_they_left_home(tmp_path):
    """Flee's rules add the people who flee to the population: the headline must not say they left their homes."""
    run = tmp_path / "flee.h5"
    haven("run", ROOT / "tests" / "data" / "flee" / "good", "-o", run, "--quiet")
    headline = report_headline(run, tmp_path / "flee.html")
    with h5py.File(run, "r") as f:
        fled = int(f["cumulative_displaced"][-1])
    assert f"{fled:,} people fled between" in headline, headline
    assert "Flee's rules: added to the population" in headline, headline
    assert "left their homes" not in headline, headline
