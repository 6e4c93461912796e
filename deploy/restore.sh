#!/bin/sh
# Restore a dump made by backup.sh into a NEW database (README "Backups and restore").
#
#   restore.sh DUMP_FILE NEW_DATABASE
#
# Creates NEW_DATABASE (it must not exist: this script never overwrites a database) and
# restores DUMP_FILE into it in one transaction: either everything is restored or the
# new database is dropped again. The server and the user are the libpq variables
# (PGHOST, PGPORT, PGUSER, PGPASSWORD). The restored objects belong to PGUSER (the
# dump's owners and grants are not replayed), as the app's own user owns them in
# docker-compose.yml. Switch the app to the restored database by renaming (README).
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 DUMP_FILE NEW_DATABASE" >&2
    exit 2
fi
dump=$1
target=$2

if [ ! -f "$dump" ]; then
    echo "restore: no such dump: $dump" >&2
    exit 1
fi
pg_restore --list "$dump" >/dev/null || {
    echo "restore: $dump is not a pg_dump custom-format file" >&2
    exit 1
}

# createdb fails if the database exists already, which is what we want.
createdb --maintenance-db="${PGMAINTENANCE_DB:-postgres}" "$target"
if ! pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
    --dbname="$target" "$dump"; then
    echo "restore: pg_restore failed; dropping the half-made $target" >&2
    dropdb --maintenance-db="${PGMAINTENANCE_DB:-postgres}" "$target" || true
    exit 1
fi
echo "restore: $dump restored into $target" >&2
