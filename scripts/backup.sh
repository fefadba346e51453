#!/usr/bin/env bash
# Back up the PostgreSQL database to one file (pg_dump custom format, compressed).
#   DATABASE_URL=postgres://... scripts/backup.sh backups/ipt-$(date +%F).dump
# Restore with scripts/restore.sh. The dump holds patient data: store it encrypted.
set -Eeuo pipefail
file=${1:?usage: scripts/backup.sh FILE}
: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
pg_bin() { command -v "$1" || ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n1; }
mkdir -p "$(dirname "$file")"
umask 077
"$(pg_bin pg_dump)" --format=custom --no-owner --no-privileges --file="$file" "$DATABASE_URL"
echo "backup written: $file ($(du -h "$file" | cut -f1))" >&2
