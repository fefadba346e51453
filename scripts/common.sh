# Shared by scripts/run.sh and scripts/test.sh: find Python >= 3.12 and keep .venv in step
# with pyproject.toml. Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="${IPT_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"

say()  { printf '\033[1;34m[ipt]\033[0m %s\n' "$*" >&2; }
loud() { printf '\n\033[1;33m[ipt] !!! %s !!!\033[0m\n\n' "$*" >&2; }
die()  { printf '\033[1;31m[ipt] %s\033[0m\n' "$*" >&2; exit 1; }

python_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3 \
      "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3 \
      /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    [[ -n $candidate ]] || continue
    # pyenv shims for inactive versions exist but fail when run: probe by running.
    if python_ok "$candidate"; then command -v "$candidate" || echo "$candidate"; return 0; fi
  done
  return 1
}

# Install the dependencies listed in pyproject.toml (and its dev extra) into .venv.
# Reinstalls only when pyproject.toml changed since the last install.
ensure_venv() {
  local stamp="$VENV/.ipt-installed" base
  if [[ ! -x $PY ]] || ! python_ok "$PY"; then
    base=$(find_python) || die "Python 3.12 or newer is required (Django 6); none was found."
    say "creating $VENV with $base"
    rm -rf "$VENV"
    "$base" -m venv "$VENV"
  fi
  if [[ ! -f $stamp || $ROOT/pyproject.toml -nt $stamp ]]; then
    say "installing dependencies from pyproject.toml"
    "$PY" - "$ROOT/pyproject.toml" > "$VENV/requirements.txt" <<'PYEOF'
import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
    print(requirement)
PYEOF
    # (grep drops this machine's notices about absent local package mirrors)
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip \
      2> >(grep -v "is ignored: it is neither" >&2) >/dev/null
    "$PY" -m pip install --quiet --disable-pip-version-check -r "$VENV/requirements.txt" \
      2> >(grep -v "is ignored: it is neither" >&2)
    "$PY" -m pip check >/dev/null || die "pip check found conflicting packages"
    touch "$stamp"
  fi
}

# The secret key of a one-machine run, kept in $IPT_VAR_DIR/secret_key (default var/) and shared
# by the web server and the workers; made once here, since importing the settings writes no file.
# Also marks the run as one machine on purpose (IPT_SINGLE_HOST): the settings then accept the
# embedded defaults (this key, SQLite, the filesystem broker) with DEBUG off.
local_secret() {
  local var_dir=${IPT_VAR_DIR:-$ROOT/var}
  mkdir -p "$var_dir"
  if [[ ! -s $var_dir/secret_key ]]; then
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(64))' >"$var_dir/secret_key")
  fi
  export IPT_SINGLE_HOST=true
}
