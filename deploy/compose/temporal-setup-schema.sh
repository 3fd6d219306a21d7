#!/bin/sh
# docker-compose.yml, job temporal-setup-schema (temporalio/admin-tools): creates Temporal's two PostgreSQL
# databases when missing and brings both schemas to the version this admin-tools release embeds. Safe to run at
# every `docker compose up`: on an existing database it only applies the schema versions still missing, which is
# also how an upgrade of the Temporal images upgrades the schema (before the new server starts).
set -eu
SQL_PASSWORD=$(cat /run/secrets/postgres_password)
export SQL_PASSWORD
sql() { temporal-sql-tool --plugin postgres12 --ep "${POSTGRES_SEEDS:-postgresql}" -p "${DB_PORT:-5432}" -u "${POSTGRES_USER:-temporal}" "$@"; }

for db in temporal temporal_visibility; do
  if out=$(sql --db "$db" create 2>&1); then
    echo "database $db created"
  elif echo "$out" | grep -q 'already exists'; then
    echo "database $db already exists"
  else
    echo "$out" >&2
    exit 1
  fi
done
sql --db temporal setup-schema -v 0.0
sql --db temporal update-schema --schema-name postgresql/v12/temporal
sql --db temporal_visibility setup-schema -v 0.0
sql --db temporal_visibility update-schema --schema-name postgresql/v12/visibility
echo "Temporal schemas are up to date"
