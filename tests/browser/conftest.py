"""Fixtures of the browser suite: one JupyterLab server and one headless Chromium per test session.

The server is the project's own JupyterLab (the Python running pytest), on a free loopback port with a
random token, serving a scratch folder. Chromium is Debian's (``apt-get install chromium``), driven by
Playwright's Python package; Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]
SERVER_START_TIMEOUT = 120  # seconds until /api/status must answer
LOOPBACK = "127.0.0.1"

# JupyterLab settings for the test session (user-level settings in a scratch folder):
# every cell stays in the DOM (no virtual scrolling), and no news pop-up covers the page.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
}


def in_ci():
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def no_skips():
    """Under CI (CI=true) or `make test` (COURSE_NO_SKIPS=1) every browser test must run."""
    return in_ci() or os.environ.get("COURSE_NO_SKIPS") == "1"


def missing(what):
    """Fail (CI, COURSE_NO_SKIPS=1) or skip (elsewhere) because a browser-suite prerequisite is missing."""
    if no_skips():
        pytest.fail(f"{what}. Under CI or `make test` (COURSE_NO_SKIPS=1) a browser test that cannot start "
                    "fails instead of skipping: `make setup`, run as root, installs what is missing (see .ci/run "
                    "for the system packages)", pytrace=False)
    pytest.skip(what)


def free_port():
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class JupyterLab:
    """A JupyterLab server started for the tests; talks to its REST API with the token."""

    def __init__(self, base, token, root, log, process):
        self.base, self.token, self.root, self.log, self.process = base, token, root, log, process

    def url(self, path):
        return f"{self.base}/{path.lstrip('/')}"

    def api(self, path, method="GET", timeout=10):
        request = urllib.request.Request(self.url(path), method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines=40):
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def page_url(self, path):
        """``path`` on the server with the token in the query, for the browser."""
        return f"{self.url(path)}{'&' if '?' in path else '?'}token={self.token}"

    def wait_until_ready(self, timeout=SERVER_START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("api/status")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer on {self.base} within {timeout} s:\n{self.log_tail()}")

    def kernel_state(self, notebook_path):
        """The execution state of the kernel of the session on ``notebook_path``, or None."""
        for session in self.api("api/sessions"):
            if session.get("path") == notebook_path and session.get("kernel"):
                return session["kernel"].get("execution_state")
        return None

    def shut_down_kernels(self):
        for session in self.api("api/sessions"):
            try:
                self.api(f"api/sessions/{session['id']}", method="DELETE")
            except urllib.error.HTTPError:
                pass  # already gone

    def stop(self):
        if self.process.poll() is None:
            # The server and the kernels it started share one process group (start_new_session).
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass


def write_lab_settings(folder):
    for plugin, values in LAB_SETTINGS.items():
        path = Path(folder) / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def server_environment(scratch):
    """The environment of a test server: Jupyter's config, runtime and settings in ``scratch``."""
    settings = scratch / "settings"
    write_lab_settings(settings)
    for folder in ("config", "runtime", "workspaces"):
        (scratch / folder).mkdir(exist_ok=True)
    env = dict(os.environ,
               COURSE_QUICK="1",  # heavy cells run their quick variant; widgets are still shown
               JUPYTER_CONFIG_DIR=str(scratch / "config"),  # no personal ~/.jupyter settings
               JUPYTER_RUNTIME_DIR=str(scratch / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(scratch / "workspaces"))
    for name in ("NBGRADER_EXECUTION", "MPLBACKEND"):  # widgets shown; the kernel's inline backend
        env.pop(name, None)
    return env


def server_options(port, token):
    """JupyterLab's options for a test server: loopback, a token, no terminals, no network."""
    return ["--no-browser", "--allow-root", f"--ServerApp.ip={LOOPBACK}", f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
            "--ServerApp.terminals_enabled=False", "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly"]


def start_server(command, root, scratch, env, cwd=None):
    """Start ``command(port, token)`` (a JupyterLab command line) serving ``root``; wait until it answers."""
    port, token = free_port(), secrets.token_urlsafe(24)
    log = scratch / "jupyterlab.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command(port, token), cwd=cwd or root, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    server = JupyterLab(f"http://{LOOPBACK}:{port}", token, root, log, process)
    try:
        server.wait_until_ready()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server on a free loopback port, serving a scratch folder; stopped at the end."""
    scratch = tmp_path_factory.mktemp("jupyterlab")
    root = scratch / "notebooks"
    root.mkdir()

    def command(port, token):
        return [sys.executable, "-m", "jupyterlab", *server_options(port, token), f"--ServerApp.root_dir={root}"]

    server = start_server(command, root, scratch, server_environment(scratch))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, headless, driven by Playwright; closed at the end of the session."""
    if not CHROMIUM.exists():
        missing(f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` "
                "(Playwright's own browser download is not used)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the Python package playwright is missing: run `make setup` (pip install -e .)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()

