"""Dependency audit: every distribution installed in the venv against PyPI's advisories.

    .venv/bin/python scripts/dependency_audit.py        # run by scripts/test.sh

PyPI's JSON API lists the known vulnerabilities (from the OSV / PyPA advisory database) of a
release. For each installed distribution this asks for its exact version
(/pypi/NAME/VERSION/json), as pip-audit does. Where that address is not served (the machines
this project is built on reach PyPI through a mirror that serves only /pypi/NAME/json, and no
other advisory service: pip-audit cannot run there), it asks for the project and uses the
advisories of its newest release when the installed version is that release; an older version
it cannot check is listed as unchecked.

Exit status: 0 when no installed version has a known vulnerability; 1 when one has (every
advisory counts, not only high severity: PyPI does not say the severity); 2 when PyPI could not
be reached.
"""

import http.client
import json
import re
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata

PYPI = "https://pypi.org/pypi"
TIMEOUT = 30


class Unreachable(Exception):
    pass


@dataclass
class Finding:
    name: str
    version: str
    checked: bool
    advisories: list[str] = field(default_factory=list)
    note: str = ""


def fetch(path: str) -> dict | None:
    """PyPI's JSON at `path`; None when PyPI answers 404. Anything but a JSON document (an
    error page, a cut-off answer) is Unreachable, never taken for an answer."""
    try:
        with urllib.request.urlopen(f"{PYPI}/{path}/json", timeout=TIMEOUT) as response:  # noqa: S310 - fixed https URL
            document = json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise Unreachable(f"{path}: HTTP {error.code}") from error
    except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as error:
        raise Unreachable(f"{path}: {error}") from error
    except ValueError as error:  # not JSON
        raise Unreachable(f"{path}: not a JSON answer ({error})") from error
    if not isinstance(document, dict) or "info" not in document:
        raise Unreachable(f"{path}: not PyPI's JSON")
    return document


def canonical(name: str) -> str:
    """PEP 503: the name PyPI files a project under."""
    return re.sub(r"[-_.]+", "-", name).lower()


def advisories(document: dict) -> list[str]:
    return sorted(
        " / ".join([item["id"], *item.get("aliases", [])])
        for item in document.get("vulnerabilities", [])
        if not item.get("withdrawn")
    )


def audit(name: str, version: str) -> Finding:
    release = fetch(f"{name}/{version}")
    if release is not None:
        return Finding(name, version, True, advisories(release))
    project = fetch(name)
    if project is None:
        return Finding(name, version, False, note="not on PyPI")
    newest = project["info"]["version"]
    if newest == version:
        return Finding(name, version, True, advisories(project))
    return Finding(
        name, version, False, note=f"PyPI's newest is {newest}; only its advisories are served here"
    )


def installed() -> list[tuple[str, str]]:
    found = {}
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"]
        if name:
            found[canonical(name)] = distribution.version
    return sorted(found.items())


def main() -> int:
    packages = installed()
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            findings = list(pool.map(lambda package: audit(*package), packages))
    except Unreachable as error:
        print(f"dependency audit: PyPI could not be reached ({error})", file=sys.stderr)
        return 2
    vulnerable = [finding for finding in findings if finding.advisories]
    unchecked = [finding for finding in findings if not finding.checked]
    checked = len(findings) - len(unchecked)
    for finding in vulnerable:
        print(f"VULNERABLE {finding.name} {finding.version}: {'; '.join(finding.advisories)}")
    for finding in unchecked:
        print(f"unchecked  {finding.name} {finding.version}: {finding.note}")
    print(
        f"dependency audit: {len(findings)} installed distributions, {checked} checked against "
        f"PyPI's advisories, {len(vulnerable)} with known vulnerabilities, "
        f"{len(unchecked)} unchecked"
    )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
