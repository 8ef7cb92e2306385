"""Fetch the pinned front-end assets from the npm registry into core/static/vendor/.

quanhui runs on intranets without internet access, so pages must never load
anything from a CDN. Instead the few browser assets we need are committed to
the repository, and this script is the one audited way they get there:

* the packages, versions and files are pinned in core/static/vendor/manifest.toml;
* every tarball must match both the registry's ``dist.integrity`` and the
  integrity recorded in the manifest, so neither a tampered download nor a
  silently re-published version can slip in;
* every extracted file must match the sha256 in the manifest, which lets
  ``--check`` re-verify the committed files offline (in CI, or on site).

Usage::

    .venv/bin/python scripts/vendor_assets.py                    # fetch + verify + write
    .venv/bin/python scripts/vendor_assets.py --check            # offline verification only
    .venv/bin/python scripts/vendor_assets.py --update-manifest  # after a deliberate version bump

Only the standard library is used, so it runs before any dependency is installed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = REPO_ROOT / "core" / "static" / "vendor"
MANIFEST = VENDOR_DIR / "manifest.toml"
REGISTRY = "https://registry.npmjs.org"
TIMEOUT_SECONDS = 60

MANIFEST_HEADER = """\
# Front-end assets vendored from the npm registry (never a CDN).
#
# Written by scripts/vendor_assets.py --update-manifest; comments other than
# this header are not preserved. To bump a package: edit its `version` (and
# `files` if paths changed), run `--update-manifest`, review the diff, then
# run the script without options and commit the manifest and the files.
#
# integrity: SRI (sha512, base64) of the npm tarball, as in the registry's
#            dist.integrity. sha256: hex digest of each file as written here.
"""


class VendorError(Exception):
    """A verification or download problem; reported without a traceback."""


# --------------------------------------------------------------------------- hashing


def sri_sha512(data: bytes) -> str:
    """Subresource-Integrity string for ``data``, the form npm uses."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sri_matches(expected: str, data: bytes) -> bool:
    """True if any sha512 entry of an SRI string (space separated) matches ``data``."""
    actual = sri_sha512(data)
    entries = [e.split("?", 1)[0] for e in expected.split() if e.startswith("sha512-")]
    return actual in entries


# --------------------------------------------------------------------------- manifest


def load_manifest(path: Path = MANIFEST) -> dict[str, dict]:
    """Return the ``packages`` table, keyed by destination directory name."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    packages = data.get("packages")
    if not isinstance(packages, dict) or not packages:
        raise VendorError(f"{path}: no [packages.<dir>] tables found")
    for dir_name, pkg in packages.items():
        _require_plain_name(dir_name, f"package directory {dir_name!r}")
        for key in ("name", "version", "license"):
            if not pkg.get(key):
                raise VendorError(f"{path}: packages.{dir_name} lacks {key!r}")
        if not pkg.get("files"):
            raise VendorError(f"{path}: packages.{dir_name} lists no files")
        lic = pkg.get("license_file") or {}
        if not lic.get("source") or not lic.get("dest"):
            raise VendorError(f"{path}: packages.{dir_name}.license_file needs source and dest")
        for entry in _entries(pkg):
            _require_plain_name(entry["dest"], f"destination in packages.{dir_name}")
    return packages


def _entries(pkg: dict) -> list[dict]:
    """The files to take plus the licence file, each as {source, dest, sha256}."""
    entries = [
        {"source": source, "dest": spec.get("dest", ""), "sha256": spec.get("sha256", "")}
        for source, spec in pkg["files"].items()
    ]
    lic = pkg["license_file"]
    entries.append({"source": lic["source"], "dest": lic["dest"], "sha256": lic.get("sha256", "")})
    return entries


def _require_plain_name(name: str, what: str) -> None:
    """Destinations are bare file names so nothing can be written outside vendor/."""
    if not name or name in {".", ".."} or "/" in name or "\\" in name:
        raise VendorError(f"{what} must be a plain file name, got {name!r}")


def _q(value: str) -> str:
    """A TOML basic string (json's escaping is valid TOML for these values)."""
    return json.dumps(value, ensure_ascii=False)


def render_manifest(packages: dict[str, dict]) -> str:
    """Serialise the manifest in its canonical layout (tomllib cannot write)."""
    out = [MANIFEST_HEADER.rstrip("\n")]
    for dir_name, pkg in packages.items():
        out.append(f"\n[packages.{dir_name}]")
        for key in ("name", "version", "tarball", "integrity", "license"):
            out.append(f"{key} = {_q(pkg.get(key, ''))}")
        lic = pkg["license_file"]
        out.append(f"\n[packages.{dir_name}.license_file]")
        for key in ("source", "dest", "sha256"):
            out.append(f"{key} = {_q(lic.get(key, ''))}")
        for source, spec in pkg["files"].items():
            out.append(f"\n[packages.{dir_name}.files.{_q(source)}]")
            out.append(f"dest = {_q(spec.get('dest', ''))}")
            out.append(f"sha256 = {_q(spec.get('sha256', ''))}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- network


def _fetch(url: str) -> bytes:
    """GET ``url``; only the npm registry is allowed, so no CDN can sneak in."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "https" or parsed.hostname != urllib.parse.urlsplit(REGISTRY).hostname:
        raise VendorError(f"refusing to download from {url!r}: only {REGISTRY} is allowed")
    request = urllib.request.Request(url, headers={"User-Agent": "quanhui-vendor-assets"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            if urllib.parse.urlsplit(response.geturl()).hostname != parsed.hostname:
                raise VendorError(f"{url!r} redirected to {response.geturl()!r}; refusing")
            return response.read()
    except OSError as exc:  # URLError, HTTPError, timeouts
        raise VendorError(f"download failed: {url}: {exc}") from exc


def registry_metadata(name: str, version: str) -> dict:
    """The registry document for one exact version (scoped names are %-encoded)."""
    url = f"{REGISTRY}/{urllib.parse.quote(name, safe='@')}/{urllib.parse.quote(version)}"
    meta = json.loads(_fetch(url))
    if meta.get("version") != version:
        raise VendorError(f"{name}: registry answered version {meta.get('version')!r}, wanted {version!r}")
    dist = meta.get("dist") or {}
    if not dist.get("integrity") or not dist.get("tarball"):
        raise VendorError(f"{name}@{version}: registry metadata has no dist.integrity/tarball")
    return meta


# --------------------------------------------------------------------------- commands


def vendor_package(dir_name: str, pkg: dict, update: bool) -> None:
    """Download, verify and extract one package; with ``update``, record hashes in ``pkg``."""
    label = f"{pkg['name']}@{pkg['version']}"
    dist = registry_metadata(pkg["name"], pkg["version"])["dist"]

    if update:
        pkg["tarball"] = dist["tarball"]
    elif pkg.get("tarball") != dist["tarball"]:
        raise VendorError(
            f"{label}: manifest tarball {pkg.get('tarball')!r} differs from registry "
            f"{dist['tarball']!r}; run --update-manifest if the bump is deliberate"
        )

    tarball = _fetch(pkg["tarball"])
    if not sri_matches(dist["integrity"], tarball):
        raise VendorError(
            f"{label}: tarball does not match the registry's dist.integrity "
            f"(got {sri_sha512(tarball)}); refusing"
        )
    if update:
        pkg["integrity"] = sri_sha512(tarball)
    elif not pkg.get("integrity") or not sri_matches(pkg["integrity"], tarball):
        raise VendorError(
            f"{label}: tarball integrity {sri_sha512(tarball)} does not match the manifest's "
            f"{pkg.get('integrity')!r}; refusing (re-published version?)"
        )

    contents: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for entry in _entries(pkg):
            try:
                member = archive.getmember(entry["source"])
            except KeyError:
                raise VendorError(f"{label}: {entry['source']} is not in the tarball") from None
            if not member.isfile():
                raise VendorError(f"{label}: {entry['source']} is not a regular file")
            data = archive.extractfile(member).read()
            digest = sha256_hex(data)
            if not update and digest != entry["sha256"]:
                raise VendorError(
                    f"{label}: {entry['source']} has sha256 {digest}, manifest says "
                    f"{entry['sha256'] or '(empty)'}; refusing"
                )
            contents[entry["dest"]] = data
            _record_sha256(pkg, entry["source"], digest)

    # Everything verified: only now touch the working tree.
    target = VENDOR_DIR / dir_name
    target.mkdir(parents=True, exist_ok=True)
    for dest, data in contents.items():
        tmp = target / f".{dest}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, target / dest)
        print(f"  {dir_name}/{dest}  {len(data):>8} bytes")
    print(f"ok  {label}")


def _record_sha256(pkg: dict, source: str, digest: str) -> None:
    if source in pkg["files"]:
        pkg["files"][source]["sha256"] = digest
    if pkg["license_file"]["source"] == source:
        pkg["license_file"]["sha256"] = digest


def check(packages: dict[str, dict]) -> list[str]:
    """Offline: problems with the files on disk versus the manifest (empty if all good)."""
    problems = []
    for dir_name, pkg in packages.items():
        for entry in _entries(pkg):
            path = VENDOR_DIR / dir_name / entry["dest"]
            rel = path.relative_to(REPO_ROOT)
            if not path.is_file():
                problems.append(f"{rel}: missing")
            elif sha256_hex(path.read_bytes()) != entry["sha256"]:
                problems.append(f"{rel}: sha256 does not match manifest ({pkg['name']}@{pkg['version']})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="verify files on disk against the manifest; no network")
    mode.add_argument(
        "--update-manifest", action="store_true", help="after a deliberate version bump: trust the registry's integrity, write the files and "
        "rewrite tarball/integrity/sha256 in the manifest"
    )
    args = parser.parse_args(argv)

    try:
        packages = load_manifest()
        if args.check:
            problems = check(packages)
            for problem in problems:
                print(f"FAIL {problem}", file=sys.stderr)
            if problems:
                return 1
            print(f"ok  {sum(len(_entries(p)) for p in packages.values())} vendored files match manifest.toml")
            return 0
        for dir_name, pkg in packages.items():
            vendor_package(dir_name, pkg, update=args.update_manifest)
        if args.update_manifest:
            MANIFEST.write_text(render_manifest(packages), encoding="utf-8")
            print(f"wrote {MANIFEST.relative_to(REPO_ROOT)}; review the diff before committing")
    except VendorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
