"""A throw-away virtual environment layered on the running one, for tests that pip-install.

``pip install`` into the suite's own venv would let every other test process (xdist
workers, other runs sharing the venv) discover a half-installed plugin. The sandbox is a
venv in ``tmp_path`` whose ``site`` also reads the running venv's site-packages (quanhui,
Flask, pytest ...), so installing into it is real and fast (``--no-deps
--no-build-isolation``) and vanishes with the tmp dir. Its ``bin/`` has ``python``,
``pip``, ``pytest`` and ``quanhui``, so documented commands run as written.
"""
from __future__ import annotations

import os
import subprocess
import sysconfig
import venv
from pathlib import Path

SITE_PACKAGES = sysconfig.get_paths()["purelib"]
SCRIPTS = {
    "quanhui": "from core.cli import main\nsys.exit(main())",
    "pytest": "import pytest\nsys.exit(pytest.main())",
    "pip": "from pip._internal.cli.main import main\nsys.exit(main())",
}


class Sandbox:
    def __init__(self, root: Path):
        self.root = root
        venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
        self.bin = root / "bin"
        self.python = self.bin / "python"
        purelib = subprocess.run(
            [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        Path(purelib, "_quanhui_parent.pth").write_text(f"import site; site.addsitedir({SITE_PACKAGES!r})\n")
        for name, body in SCRIPTS.items():
            script = self.bin / name
            script.write_text(f"#!{self.python}\nimport sys\n{body}\n")
            script.chmod(0o755)
        self.home = root.parent / f"{root.name}-home"
        self.home.mkdir(exist_ok=True)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a command in the sandbox: its bin first on PATH, its own
        SQLite database and instance folder, and (on PostgreSQL) databases of its own."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "VIRTUAL_ENV", "PYTHON"))}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.root)
        env["QUANHUI_DATABASE_URL"] = f"sqlite:///{self.home / 'quanhui.db'}"
        env["QUANHUI_INSTANCE"] = str(self.home / "instance")
        # core.testing names PostgreSQL test databases after the xdist worker: give the
        # nested pytest a name of its own so it never drops the databases of this one.
        env["PYTEST_XDIST_WORKER"] = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_sandbox"
        env.update(extra)
        return env

    def run(self, args, cwd: Path, input: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
        shell = isinstance(args, str)
        return subprocess.run(
            args, cwd=cwd, env=self.env(), shell=shell, input=input, capture_output=True, text=True,
            timeout=timeout, executable="/bin/bash" if shell else None,
        )


def check(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    return result.stdout

