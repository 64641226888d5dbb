#!/usr/bin/env bash
# Dump the NeuroCards PostgreSQL database to backups/neurocards-<UTC time>.sql.gz.
#   DATABASE_URL=postgres://user:pass@host:5432/neurocards scripts/backup-postgres.sh
# With Docker Compose:
#   docker compose exec -T postgres pg_dump -U neurocards neurocards | gzip > backup.sql.gz
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the postgres:// URL}"
dir=${BACKUP_DIR:-backups}
mkdir -p "$dir"
file="$dir/neurocards-$(date -u +%Y%m%dT%H%M%SZ).sql.gz"
pg_dump --no-owner --format=plain "$DATABASE_URL" | gzip > "$file.partial"
mv "$file.partial" "$file"
echo "$file"
