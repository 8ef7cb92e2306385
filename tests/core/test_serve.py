"""`quanhui demo` then `quanhui serve`: the demo that `make run` gives, over real HTTP."""
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

QUANHUI = str(Path(sys.executable).with_name("quanhui"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served_demo(tmp_path):
    env = {**os.environ, "QUANHUI_INSTANCE": str(tmp_path / "instance")}
    env.pop("QUANHUI_DATABASE_URL", None)
    demo = subprocess.run([QUANHUI, "demo"], env=env, capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0, demo.stderr
    port = free_port()
    server = subprocess.Popen(
        [QUANHUI, "serve", "--port", str(port), "--workers", "2"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            break
        except OSError:
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "server did not answer within 30 s"
            time.sleep(0.2)
    yield base, demo.stdout
    server.terminate()
    server.wait(timeout=20)


def test_lixia_admin_signs_in_to_the_served_demo_and_lands_on_lixias_dashboard(served_demo):
    base, demo_output = served_demo
    assert "13 个租户" in demo_output
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login_page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": "lixia-admin", "password": "demo-pass-2026"})
    landed = opener.open(f"{base}/login", data=form.encode())
    assert landed.url == f"{base}/lixia/"
    assert "历下区 · 工作台" in landed.read().decode()
    static = opener.open(f"{base}/static/vendor/htmx/htmx.min.js")
    assert static.status == 200
