"""With DEBUG off the app refuses to start without the key, database and broker that several
hosts must share (issue #14); one machine on purpose (IPT_SINGLE_HOST) may use the defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FULL = {
    "DJANGO_SECRET_KEY": "k" * 50,
    "DATABASE_URL": "postgres://ipt@127.0.0.1:1/none",
    "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
}


def settings_import(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "IPT_"))}
    clean.pop("DATABASE_URL", None)
    clean.pop("CELERY_BROKER_URL", None)
    clean.update(IPT_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(
        [sys.executable, "-c", "import ipt_clinic.settings"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"])
def test_debug_off_refuses_without_each_of_the_three(tmp_path, missing):
    env = {name: value for name, value in FULL.items() if name != missing}
    result = settings_import(tmp_path, **env)
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


@pytest.mark.parametrize(
    ("env", "starts"),
    [
        (FULL, True),
        ({}, False),
        ({"IPT_SINGLE_HOST": "true", "DJANGO_SECRET_KEY": "k" * 50}, True),
        ({"DJANGO_DEBUG": "true", "DJANGO_SECRET_KEY": "k" * 50}, True),
        ({"IPT_SINGLE_HOST": "true"}, False),  # no key and no var/secret_key
    ],
)
def test_which_configurations_start(tmp_path, env, starts):
    assert (settings_import(tmp_path, **env).returncode == 0) is starts


def test_importing_the_settings_writes_no_file(tmp_path):
    result = settings_import(tmp_path, IPT_SINGLE_HOST="true", DJANGO_SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "var").exists()


def test_a_single_host_reads_the_key_its_scripts_wrote(tmp_path):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "secret_key").write_text("written-by-local-secret " * 3)
    result = settings_import(tmp_path, IPT_SINGLE_HOST="true")
    assert result.returncode == 0, result.stderr
