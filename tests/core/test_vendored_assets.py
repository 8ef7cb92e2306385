"""Front-end assets are vendored, pinned and licensed; nothing is loaded from a CDN.

quanhui is deployed on intranets without internet access: a page that pulls a
script or stylesheet from a CDN simply breaks there. These tests run offline
against core/static/vendor/manifest.toml (written by scripts/vendor_assets.py).
"""

import hashlib
import re
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CORE = REPO_ROOT / "core"
VENDOR_DIR = CORE / "static" / "vendor"
MANIFEST = VENDOR_DIR / "manifest.toml"

# Hosts that serve third-party front-end code, international and Chinese.
CDN_HOSTS = (
    "cdn.jsdelivr.net",
    "fastly.jsdelivr.net",
    "unpkg.com",
    "cdnjs.cloudflare.com",
    "ajax.googleapis.com",
    "fonts.googleapis.com",
    "fonts.gstatic.com",
    "code.jquery.com",
    "stackpath.bootstrapcdn.com",
    "maxcdn.bootstrapcdn.com",
    "cdn.tailwindcss.com",
    "use.fontawesome.com",
    "kit.fontawesome.com",
    "cdn.skypack.dev",
    "esm.sh",
    "ga.jspm.io",
    "cdn.bootcdn.net",
    "cdn.bootcss.com",
    "cdn.staticfile.org",
    "cdn.staticfile.net",
    "lib.baomitu.com",
    "npm.elemecdn.com",
    "cdn.bytedance.com",
    "lf3-cdn-tos.bytecdntp.com",
    "unpkg.zhimg.com",
    "registry.npmmirror.com",
    "cdn.npmmirror.com",
)
URL = re.compile(r"https?://([A-Za-z0-9.-]+)[^\s\"'()<>]*", re.IGNORECASE)
# An absolute URL the browser would fetch: src=/href= attributes, CSS @import
# and url(), and ES module imports. (Namespaces such as xmlns= are not fetched.)
FETCHED_URL = re.compile(
    r"""(?:\bsrc\s*=\s*|\bhref\s*=\s*|@import\s+(?:url\()?\s*|\burl\(\s*|\bfrom\s+|\bimport\s*\(\s*)["']?(https?://[^\s"'()<>]+)""",
    re.IGNORECASE,
)
ANCHOR = re.compile(r"<a\b[^>]*>", re.IGNORECASE)


def _manifest_packages():
    with MANIFEST.open("rb") as fh:
        return tomllib.load(fh)["packages"]


def _pinned_files():
    """(package dir, destination name, sha256) for every file and licence in the manifest."""
    for dir_name, pkg in _manifest_packages().items():
        for spec in pkg["files"].values():
            yield dir_name, spec["dest"], spec["sha256"]
        yield dir_name, pkg["license_file"]["dest"], pkg["license_file"]["sha256"]


def external_references(text):
    """URLs in ``text`` that would make a browser reach outside the intranet for code or styles.

    Any URL on a known CDN host counts wherever it appears; any other absolute
    URL counts when it is fetched (src, stylesheet href, @import, url(), import).
    Plain links (<a href>) to other sites are navigation, not assets.
    """
    found = []
    for match in URL.finditer(text):
        host = match.group(1).lower()
        if any(host == cdn or host.endswith("." + cdn) for cdn in CDN_HOSTS):
            found.append(match.group(0))
    without_anchors = ANCHOR.sub("", text)
    found.extend(m.group(1) for m in FETCHED_URL.finditer(without_anchors) if m.group(1) not in found)
    return found


def _own_front_end_files():
    """core/templates/**/*.html and core/static/**/*.css|*.js, except the vendored ones."""
    files = sorted((CORE / "templates").glob("**/*.html"))
    for pattern in ("**/*.css", "**/*.js"):
        files += sorted(
            p for p in (CORE / "static").glob(pattern) if VENDOR_DIR not in p.parents
        )
    return [p for p in files if p.is_file()]


def test_manifest_pins_each_package_to_an_exact_version_from_the_npm_registry():
    packages = _manifest_packages()
    assert {"htmx", "pico", "chartjs"} <= packages.keys()
    for dir_name, pkg in packages.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", pkg["version"]), (dir_name, pkg["version"])
        assert pkg["tarball"].startswith("https://registry.npmjs.org/"), (dir_name, pkg["tarball"])
        assert pkg["tarball"].endswith(f"-{pkg['version']}.tgz"), (dir_name, pkg["tarball"])
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", pkg["integrity"]), (dir_name, pkg["integrity"])


def test_every_vendored_file_matches_its_pinned_checksum():
    for dir_name, dest, sha256 in _pinned_files():
        path = VENDOR_DIR / dir_name / dest
        assert path.is_file(), f"{path.relative_to(REPO_ROOT)} is missing; run scripts/vendor_assets.py"
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        assert actual == sha256, (
            f"{path.relative_to(REPO_ROOT)} does not match manifest.toml; "
            "vendored files must not be edited by hand"
        )


def test_each_vendored_package_ships_its_licence_file_and_spdx_id():
    for dir_name, pkg in _manifest_packages().items():
        assert re.fullmatch(r"[A-Za-z0-9.+-]+", pkg["license"]), (dir_name, pkg.get("license"))
        licence = VENDOR_DIR / dir_name / pkg["license_file"]["dest"]
        assert licence.is_file(), f"{licence.relative_to(REPO_ROOT)} is missing"
        text = licence.read_text(encoding="utf-8")
        assert "permission" in text.lower(), f"{licence.relative_to(REPO_ROOT)} does not look like a licence"


def test_the_cdn_detector_flags_cdn_and_fetched_external_urls_but_not_namespaces_or_links():
    assert external_references('<script src="https://cdn.jsdelivr.net/npm/htmx.org"></script>')
    assert external_references('<link rel="stylesheet" href="https://example.org/site.css">')
    assert external_references('@import url("https://fonts.googleapis.com/css2?family=Noto");')
    assert external_references("const cdn = 'https://unpkg.com/chart.js';")
    assert external_references('import x from "https://esm.sh/preact";')
    assert not external_references('<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    assert not external_references('<a href="https://www.gov.cn/">中国政府网</a>')
    assert not external_references('<script src="{{ url_for(\'static\', filename=\'vendor/htmx/htmx.min.js\') }}"></script>')


def test_no_template_or_static_file_under_core_loads_assets_from_a_cdn():
    offenders = {}
    for path in _own_front_end_files():
        refs = external_references(path.read_text(encoding="utf-8", errors="replace"))
        if refs:
            offenders[str(path.relative_to(REPO_ROOT))] = refs
    assert not offenders, f"use core/static/vendor/ instead of external URLs: {offenders}"
