#!/usr/bin/python3
"""Makes the README's picture of `haven serve` (docs/img/serve-idlib_2019_2020.png): Idlib with two bombardments
switched off, the run before the edits dotted, the edit list, and the band of 20 seeds in the panel.

    /usr/bin/python3 tools/serve/readme_screenshot.py [OUT.png]

Needs a built `haven` (HAVEN_BIN, default build/default/bin/haven) and Debian's chromium, chromium-driver and
python3-selenium (tools/setup.sh deps). Look at the picture before committing it.
"""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "serve"))
sys.dont_write_bytecode = True

from serve_helpers import IDLIB, Serve  # noqa: E402
from test_serve_page import browser, wait_for  # noqa: E402


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img" / "serve-idlib_2019_2020.png"
    # Generous limits: tests/serve runs this under ASan too, where each Idlib run takes seconds.
    serve = Serve(IDLIB, "--max-run-seconds", "600")
    driver, profile = browser()
    try:
        driver.set_window_size(1440, 1000)
        driver.get(serve.base + "/")
        wait_for(driver, "return document.body.dataset.lastEditMs", serve=serve)
        for count, event in enumerate(["b_idl_ariha", "b_idl_jabal_zawiya"], start=1):
            driver.execute_script(f"document.querySelector('[data-event={event}] input[type=checkbox]').click()")
            wait_for(driver, f"return document.body.dataset.editCount === '{count}'", serve=serve)
        driver.execute_script("document.body.dataset.bandMs = ''; document.getElementById('serve-band-button').click()")
        wait_for(driver, "return document.body.dataset.bandMs", 600, serve=serve, poll_s=0.5)
        # The panel as a planner leaves it: the edits and the band open, the long lists closed.
        driver.execute_script("""
            for (const d of document.querySelectorAll('#serve-panel details')) {
              d.open = ['serve-edits', 'serve-band'].includes(d.id);
            }
            const chart = window.havenReport.mainChart().canvas;
            window.scrollTo(0, chart.getBoundingClientRect().top + window.scrollY - 110);""")
        driver.execute_async_script("const done = arguments[arguments.length - 1];"
                                    "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));")
        driver.save_screenshot(str(out))
        print(f"wrote {out}")
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        serve.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
