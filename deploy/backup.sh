#!/bin/sh
# Scheduled PostgreSQL backups (docker-compose.yml's `backup` service runs this in the
# official postgres image; README "Backups and restore").
#
#   backup.sh          dump now, then again every BACKUP_INTERVAL_SECONDS, for ever
#   backup.sh once     one dump, then the retention (what the loop does each time)
#   backup.sh prune    only the retention
#   backup.sh check    exit 0 if the newest dump is younger than two intervals (health check)
#
# The database is named by the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD,
# PGDATABASE). Each dump is pg_dump's custom format (-Fc: compressed, restored with
# pg_restore, one table at a time if need be), written under a temporary name and
# renamed when complete, so a file named liaison-*.dump is always a whole dump.
# Dumps older than BACKUP_KEEP_DAYS days are deleted, but only after a dump has
# succeeded, and never the newest one: failing backups never eat the last good one.
set -eu

BACKUP_DIR=${BACKUP_DIR:-/backups}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}
BACKUP_INTERVAL_SECONDS=${BACKUP_INTERVAL_SECONDS:-86400}
PREFIX=${BACKUP_PREFIX:-liaison}

log() {
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) backup: $*" >&2
}

is_count() {
    case "$1" in
        '' | *[!0-9]*) return 1 ;;
        *) return 0 ;;
    esac
}

for name in BACKUP_KEEP_DAYS BACKUP_INTERVAL_SECONDS; do
    eval "value=\$$name"
    if ! is_count "$value" || [ "$value" -lt 1 ]; then
        log "$name must be a whole number of at least 1, not '$value'"
        exit 2
    fi
done

newest() {
    # The newest complete dump, or nothing (names sort by time: UTC, fixed width).
    ls -1 "$BACKUP_DIR" 2>/dev/null | grep -E "^$PREFIX-[0-9]{8}T[0-9]{6}Z\.dump\$" | sort | tail -n 1
}

prune() {
    keep=$(newest)
    # -mmin: whole minutes, so that "14 days" is 14 × 24 hours, not find's rounded days.
    find "$BACKUP_DIR" -maxdepth 1 -type f -name "$PREFIX-*.dump" \
        -mmin +$((BACKUP_KEEP_DAYS * 1440)) | while read -r old; do
        if [ "$(basename "$old")" = "$keep" ]; then
            continue
        fi
        rm -f -- "$old" && log "deleted $(basename "$old") (older than $BACKUP_KEEP_DAYS days)"
    done
    # Left by a dump that was killed half-way.
    find "$BACKUP_DIR" -maxdepth 1 -type f -name "$PREFIX-*.dump.partial" -mmin +1440 -delete
}

dump() {
    mkdir -p "$BACKUP_DIR"
    name="$PREFIX-$(date -u +%Y%m%dT%H%M%SZ).dump"
    partial="$BACKUP_DIR/$name.partial"
    if pg_dump --format=custom --compress=6 --file="$partial"; then
        mv -- "$partial" "$BACKUP_DIR/$name"
        log "wrote $name ($(wc -c <"$BACKUP_DIR/$name") bytes)"
        prune
    else
        rm -f -- "$partial"
        log "pg_dump failed; the dumps already there are kept"
        return 1
    fi
}

check() {
    keep=$(newest)
    if [ -z "$keep" ]; then
        log "no dump yet in $BACKUP_DIR"
        return 1
    fi
    limit=$((2 * BACKUP_INTERVAL_SECONDS / 60 + 1))
    if [ -n "$(find "$BACKUP_DIR/$keep" -mmin +$limit)" ]; then
        log "the newest dump, $keep, is older than two intervals"
        return 1
    fi
}

case "${1:-loop}" in
    once) dump ;;
    prune) prune ;;
    check) check ;;
    loop)
        log "a dump every $BACKUP_INTERVAL_SECONDS s into $BACKUP_DIR, kept $BACKUP_KEEP_DAYS days"
        # The sleep runs in the background and is waited for, so that `docker compose
        # stop` (SIGTERM) ends it at once rather than after the stop timeout.
        sleeper=
        trap 'if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null || true; fi; exit 0' TERM INT
        while :; do
            # A failed dump is logged and tried again at the next interval.
            dump || true
            sleep "$BACKUP_INTERVAL_SECONDS" &
            sleeper=$!
            wait "$sleeper" || true
        done
        ;;
    *)
        echo "usage: $0 [loop|once|prune|check]" >&2
        exit 2
        ;;
esac
