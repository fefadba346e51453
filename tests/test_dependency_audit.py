"""scripts/dependency_audit.py decides from PyPI's answers; PyPI (the edge) is replaced here."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "dependency_audit.py"
spec = importlib.util.spec_from_file_location("dependency_audit", SCRIPT)
dependency_audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dependency_audit)

ADVISORY = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "withdrawn": None}
WITHDRAWN = {"id": "PYSEC-2099-2", "aliases": [], "withdrawn": "2099-01-01T00:00:00Z"}


def pypi(answers: dict):
    """A fake PyPI: path -> JSON document; a missing path is a 404."""

    def fetch(path):
        answer = answers.get(path)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return fetch


@pytest.fixture
def answers(monkeypatch):
    answers = {}
    monkeypatch.setattr(dependency_audit, "fetch", pypi(answers))
    return answers


def test_the_installed_version_is_checked_where_pypi_serves_it(answers):
    answers["lib/1.0"] = {"vulnerabilities": [ADVISORY, WITHDRAWN]}
    finding = dependency_audit.audit("lib", "1.0")
    assert finding.checked
    assert finding.advisories == ["PYSEC-2099-1 / CVE-2099-0001"]


def test_the_newest_release_is_checked_through_the_project_document(answers):
    answers["lib"] = {"info": {"version": "2.0"}, "vulnerabilities": [ADVISORY]}
    finding = dependency_audit.audit("lib", "2.0")
    assert finding.checked and finding.advisories


def test_an_older_version_the_mirror_cannot_answer_for_is_unchecked_not_passed(answers):
    answers["lib"] = {"info": {"version": "3.0"}, "vulnerabilities": []}
    finding = dependency_audit.audit("lib", "2.0")
    assert not finding.checked
    assert "3.0" in finding.note


def test_exit_status_is_1_with_a_vulnerability_0_without_and_2_offline(answers, monkeypatch):
    monkeypatch.setattr(dependency_audit, "installed", lambda: [("lib", "1.0"), ("ok", "1.0")])
    answers["ok/1.0"] = {"vulnerabilities": []}
    answers["lib/1.0"] = {"vulnerabilities": [ADVISORY]}
    assert dependency_audit.main() == 1
    answers["lib/1.0"] = {"vulnerabilities": [WITHDRAWN]}
    assert dependency_audit.main() == 0
    answers["lib/1.0"] = dependency_audit.Unreachable("lib/1.0: timed out")
    assert dependency_audit.main() == 2


class _Answer:
    def __init__(self, body: bytes):
        self.body = body

    def __enter__(self):
        import io

        return io.BytesIO(self.body)

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("body", [b"<html>mirror error</html>", b'{"message": "no"}', b'{"info'])
def test_an_answer_that_is_not_pypis_json_is_unreachable_not_a_finding(monkeypatch, body):
    monkeypatch.setattr(dependency_audit.urllib.request, "urlopen", lambda *a, **k: _Answer(body))
    with pytest.raises(dependency_audit.Unreachable):
        dependency_audit.fetch("lib/1.0")


def test_names_are_filed_as_pypi_files_them():
    assert dependency_audit.canonical("Django_OTP") == "django-otp"
    assert dependency_audit.canonical("zope.interface") == "zope-interface"
