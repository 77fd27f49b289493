"""A real-browser test: JupyterLab from this environment, driven by Playwright in headless
Chromium (Debian's `chromium`, launched by path). `make test-browser` runs it.

1. Every notebooks/NN_*.ipynb opens, its committed outputs render (each code cell that has
   outputs shows them, every PNG loads) and the page shows no traceback and no dialog.
2. In notebook 06 the cell that calls `Playground(` runs in the browser after the cells
   above it (quick mode); its `train` button appears and a click redraws the figure.

Screenshots go to build/browser/. One line per check; the exit status is 1 on any failure.

    .venv/bin/python tools/browser_test.py [--only 06] [--timeout 300] [--no-playground]
"""

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "build" / "browser"
CHROMIUM = os.environ.get("GANLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PLAYGROUND_MARK = "Playground("
ERROR_TEXT = re.compile(r"Traceback|\w*Error\b")
# A rendered traceback or stderr; JupyterLab shows `error` outputs with the stderr mime type.
STDERR = ('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], '
          '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
# User settings for the test's own (temporary) settings folder: never save (the playground
# run must not overwrite a committed notebook), render every cell (so the DOM holds every
# output), and no news or update checks (no traffic, no toasts).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
}


# ---- pure helpers (tests/test_browser_test.py) ----------------------------------------------

def course_notebooks(folder=NOTEBOOKS):
    """The numbered notebooks, in order (not solutions/, not scratch files)."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def playground_cell(nb):
    """Index (among all cells) of the first code cell whose source contains `Playground(`."""
    for i, cell in enumerate(nb["cells"]):
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] == "code" and PLAYGROUND_MARK in source:
            return i
    raise LookupError(f"no code cell contains {PLAYGROUND_MARK!r}")


def expected_outputs(nb):
    """(has outputs, number of PNGs) for each code cell, in order: what the page must show."""
    expected = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            outputs = cell.get("outputs", [])
            pngs = sum("image/png" in o.get("data", {}) and set(o["data"]) <= {"image/png", "text/plain"}
                       for o in outputs)  # a PNG JupyterLab shows as a PNG (no richer type beside it)
            expected.append((bool(outputs), pngs))
    return expected


def error_texts(texts):
    """The rendered stderr texts that hold a traceback or an `...Error`."""
    return [t for t in texts if ERROR_TEXT.search(t)]


# ---- JupyterLab -----------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on localhost: base URL, token, REST calls."""

    def __init__(self, port, token, log):
        self.url, self.token, self.log = f"http://127.0.0.1:{port}", token, log

    def api(self, path, method="GET"):
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def page_url(self, notebook):
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"

    def stop_kernels(self):
        """One kernel at a time: shut down what earlier notebooks started."""
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")


@contextmanager
def jupyter_lab(folder, log_path, *, start_timeout=120):
    """Start `jupyter lab` on a free port (token auth, GANLAB_QUICK=1) in its own settings
    folders; yield a Lab once it answers; always shut it down, kernels included."""
    port, token = free_port(), secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="ganlab-browser-") as tmp:
        tmp = Path(tmp)
        config = {"ServerApp": {"ip": "127.0.0.1", "port": port, "port_retries": 0, "open_browser": False,
                                "root_dir": str(folder), "allow_root": os.geteuid() == 0},
                  "IdentityProvider": {"token": token},
                  "LabApp": {"expose_app_in_browser": True, "news_url": None,
                             "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}}
        for name in ("jupyter_server_config.json", "jupyter_lab_config.json"):
            (tmp / "config").mkdir(exist_ok=True)
            (tmp / "config" / name).write_text(json.dumps(config))
        for name, settings in LAB_SETTINGS.items():
            path = tmp / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(settings))
        env = {**os.environ, "GANLAB_QUICK": "1", "JUPYTER_CONFIG_DIR": str(tmp / "config"),
               "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
               "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"), "JUPYTER_RUNTIME_DIR": str(tmp / "run")}
        with open(log_path, "w") as log:
            server = subprocess.Popen([sys.executable, "-m", "jupyterlab"], env=env, cwd=ROOT,
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        lab = Lab(port, token, log_path)
        try:
            wait_until_answers(lab, server, log_path, start_timeout)
            yield lab
        finally:
            shut_down(lab, server)


def wait_until_answers(lab, server, log_path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({server.returncode}); see {log_path}")
        try:
            lab.api("/api/status")
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"jupyter lab did not answer on {lab.url} within {timeout} s; see {log_path}")


def shut_down(lab, server):
    """Ask the server to stop (it shuts down its kernels); then SIGTERM, then SIGKILL its group."""
    if server.poll() is None:
        try:
            lab.api("/api/shutdown", method="POST")
        except OSError:
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            server.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, sig)
    server.wait(timeout=5)


# ---- checks ---------------------------------------------------------------------------------

class CheckFailed(Exception):
    pass


def poll(predicate, *, timeout, every=0.5):
    """predicate() until truthy (returned) or timeout (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


KERNEL_STATUS = "() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status"


def open_notebook(page, lab, path, *, timeout, idle=True):
    """Load the notebook alone in a fresh workspace; wait for all its cells, then for its
    kernel: idle (ready to run), or with idle=False only a session on the server."""
    nb = json.loads(path.read_text())
    page.goto(lab.page_url(path.name))
    page.locator(".jp-NotebookPanel .jp-Notebook").wait_for(state="visible", timeout=timeout * 1000)
    cells = poll(lambda: page.locator(".jp-NotebookPanel .jp-Cell").count() == len(nb["cells"]),
                 timeout=timeout)
    if not cells:
        raise CheckFailed(f"{page.locator('.jp-NotebookPanel .jp-Cell').count()} of "
                          f"{len(nb['cells'])} cells appeared")

    def kernel_or_dialog():  # a missing kernel shows a dialog and never starts
        status = page.evaluate(KERNEL_STATUS)
        return page_errors(page) or (status == "idle" if idle else status not in (None, "unknown"))

    ready = poll(kernel_or_dialog, timeout=timeout)
    if isinstance(ready, list):
        raise CheckFailed(ready[0])
    if not ready:
        raise CheckFailed(f"the kernel did not {'become idle' if idle else 'start'} within {timeout} s "
                          f"(status {page.evaluate(KERNEL_STATUS)})")
    return nb


def page_errors(page):
    """Rendered tracebacks and visible dialogs, as short strings."""
    texts = error_texts(page.locator(STDERR).all_inner_texts())
    errors = [f"error output: {' '.join(t.split())[:300]}" for t in texts]
    for dialog in page.locator(".jp-Dialog").all():
        if dialog.is_visible():
            errors.append(f"dialog: {' '.join(dialog.inner_text().split())[:300]}")
    return errors


RENDERED = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')).map(c => [
    c.querySelectorAll('.jp-OutputArea-output').length,
    Array.from(c.querySelectorAll('.jp-RenderedImage img'))
        .filter(i => i.complete && i.naturalWidth > 0).length])"""


def check_render(page, lab, path, *, timeout):
    """The committed outputs render; yields the check's line."""
    nb = open_notebook(page, lab, path, timeout=timeout, idle=False)
    expected = expected_outputs(nb)
    want_cells, want_images = sum(has for has, _ in expected), sum(n for _, n in expected)

    def rendered():
        got = page.evaluate(RENDERED)
        ok = len(got) == len(expected) and all(
            (n > 0) == has and imgs == pngs for (n, imgs), (has, pngs) in zip(got, expected))
        return got if ok else None

    got = poll(rendered, timeout=timeout) or page.evaluate(RENDERED)
    cells = sum(n > 0 for n, _ in got)
    images = sum(imgs for _, imgs in got)
    shot = OUT / f"{path.stem}.png"
    first_image = page.locator(".jp-RenderedImage img").first
    if want_images:
        first_image.scroll_into_view_if_needed()
    page.screenshot(path=shot)
    summary = f"{cells}/{want_cells} cells show outputs, {images}/{want_images} images loaded"
    wrong = [i for i, ((n, imgs), (has, pngs)) in enumerate(zip(got, expected))
             if (n > 0) != has or imgs != pngs]
    if len(got) != len(expected) or wrong:
        raise CheckFailed(f"{summary}; code cells {wrong[:5]} differ from the file -> {rel(shot)}")
    errors = page_errors(page)
    if errors:
        raise CheckFailed(f"{summary}; {errors[0]} -> {rel(shot)}")
    yield f"{summary}, no traceback, no dialog -> {rel(shot)}"


START_RUN = """async ([command, index]) => {
    const panel = window.jupyterapp.shell.currentWidget;
    panel.content.activeCellIndex = index;
    panel.content.deselectAll();
    window.__ganlabRun = null;
    window.jupyterapp.commands.execute(command).then(
        ok => { window.__ganlabRun = {ok: ok !== false}; },
        err => { window.__ganlabRun = {ok: false, error: String(err)}; });
}"""


def run_command(page, command, index, *, timeout, what):
    """Select cell `index`, run a notebook command on it, wait for it to finish."""
    page.evaluate(START_RUN, [command, index])
    done = poll(lambda: page.evaluate("() => window.__ganlabRun"), timeout=timeout)
    errors = page_errors(page)
    if errors:
        raise CheckFailed(f"{what}: {errors[0]}")
    if not done:
        raise CheckFailed(f"{what}: not finished within {timeout} s")
    if not done["ok"]:
        raise CheckFailed(f"{what}: JupyterLab reported a failure {done.get('error', '')}".strip())


def check_playground(page, lab, path, *, timeout):
    """Run the cells above the playground, then the playground; click train; the figure redraws."""
    nb = open_notebook(page, lab, path, timeout=timeout)
    index = playground_cell(nb)
    cell = page.locator(".jp-NotebookPanel .jp-Cell").nth(index)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    start = time.monotonic()
    run_command(page, "notebook:run-all-above", index, timeout=timeout, what=f"cells above {index}")
    above = time.monotonic() - start
    run_command(page, "notebook:run-cell", index, timeout=timeout, what=f"playground cell {index}")
    train = cell.get_by_role("button", name="train", exact=True)
    try:
        train.wait_for(state="visible", timeout=30_000)
    except Exception as err:  # Playwright's TimeoutError
        cell.screenshot(path=OUT / f"{path.stem}-playground-failure.png")
        raise CheckFailed(f"no 'train' button in cell {index}'s output ({type(err).__name__})") from err
    image = cell.locator(".jp-OutputArea-output img").first
    before_src = image.get_attribute("src")
    before = OUT / f"{path.stem}-playground-before.png"
    cell.screenshot(path=before)
    yield (f"ran cells 0-{index - 1} in {above:.0f} s and cell {index} ({PLAYGROUND_MARK}...): "
           f"'train' button shown -> {rel(before)}")

    train.click()
    start = time.monotonic()

    def redrawn():
        img = cell.locator(".jp-OutputArea-output img").first
        return img.count() and img.evaluate("i => i.complete && i.naturalWidth > 0") and \
            img.get_attribute("src") not in (None, before_src)

    changed = poll(redrawn, timeout=timeout)
    after = OUT / f"{path.stem}-playground-after.png"
    cell.screenshot(path=after)
    if not changed:
        raise CheckFailed(f"clicked 'train': the figure did not change within {timeout} s "
                          f"(see JupyterLab's log console for callback errors) -> {rel(after)}")
    errors = page_errors(page)
    if errors:
        raise CheckFailed(f"clicked 'train': {errors[0]} -> {rel(after)}")
    yield f"clicked 'train': figure redrawn after {time.monotonic() - start:.1f} s -> {rel(after)}"


def rel(path):
    return str(Path(path).relative_to(ROOT))


# ---- main -----------------------------------------------------------------------------------

def launch_browser(playwright):
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"browser test: {CHROMIUM} is missing (Debian: apt-get install chromium; "
                         "or set GANLAB_CHROMIUM to a Chromium binary)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only notebooks whose name starts with this, e.g. 06")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per wait (default 300)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="folder to serve (notebooks/)")
    parser.add_argument("--no-playground", action="store_true", help="skip the playground check")
    args = parser.parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        raise SystemExit("browser test: playwright is missing (pip install playwright)") from err

    OUT.mkdir(parents=True, exist_ok=True)
    paths = [p for p in course_notebooks(args.notebooks) if not args.only or p.name.startswith(args.only)]
    playground = [p for p in paths if p.name.startswith("06_")] if not args.no_playground else []
    if not paths:
        raise SystemExit(f"browser test: no notebooks match {args.only!r}")
    start, failures = time.monotonic(), 0

    def report(ok, name, text):
        nonlocal failures
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {text}", flush=True)

    def checked(name, lines, page, shot):
        """Report each line a check yields; its exception as a failure (the others still run)."""
        try:
            for line in lines:
                report(True, name, line)
        except Exception as err:
            report(False, name, f"{type(err).__name__}: {err}")
            try:
                page.screenshot(path=shot)
                print(f"     {name}: the page at the failure -> {rel(shot)}")
            except Exception as shot_err:  # a crashed page: the failure line above says enough
                print(f"     {name}: no screenshot ({type(shot_err).__name__})")

    committed = {p: p.read_bytes() for p in course_notebooks(args.notebooks)}
    try:
        with jupyter_lab(args.notebooks.resolve(), OUT / "jupyter.log") as lab, sync_playwright() as pw:
            report(True, "jupyterlab", f"answers on {lab.url} (GANLAB_QUICK=1), log {rel(lab.log)}")
            browser = launch_browser(pw)
            checks = [(p, check_render) for p in paths] + [(p, check_playground) for p in playground]
            for path, check in checks:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(30_000)
                js_errors = []
                page.on("pageerror", lambda err, errs=js_errors: errs.append(str(err)))
                name = path.name + (" playground" if check is check_playground else "")
                began = time.monotonic()
                checked(name, check(page, lab, path, timeout=args.timeout), page,
                        OUT / f"{path.stem}-{check.__name__}-failure.png")
                print(f"     {name}: {time.monotonic() - began:.0f} s", flush=True)
                for err in js_errors:
                    print(f"note {name}: JavaScript error in the page: {err[:200]}")
                page.close()
                lab.stop_kernels()
            browser.close()
    except Exception as err:  # the server or the browser did not start
        report(False, "browser test", f"{type(err).__name__}: {err}")
    changed = [p.name for p, text in committed.items() if p.read_bytes() != text]
    report(not changed, "notebooks", f"changed on disk: {changed}" if changed else "unchanged on disk")
    seconds = time.monotonic() - start
    print(f"browser test: {failures} failure(s) in {seconds:.0f} s; screenshots in {rel(OUT)}/")
    return 1 if failures else 0

if __name__ == "__main__":
    sys.exit(main())
