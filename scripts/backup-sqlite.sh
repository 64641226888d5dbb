#!/usr/bin/env bash
# Copy the SQLite database safely while the bot runs (sqlite3's online backup).
#   scripts/backup-sqlite.sh [data/neurocards.db]
set -euo pipefail
db=${1:-data/neurocards.db}
dir=${BACKUP_DIR:-backups}
mkdir -p "$dir"
file="$dir/neurocards-$(date -u +%Y%m%dT%H%M%SZ).db"
sqlite3 "$db" ".backup '$file'"
echo "$file"
