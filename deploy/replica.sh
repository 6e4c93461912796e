#!/bin/sh
# The read replica's start (docker-compose.yml's `replica` service, in the official postgres
# image; README "Scaling out: a read replica").
#
# The first time (no copy in the volume yet): a copy of the primary by pg_basebackup,
# streaming the WAL written meanwhile (-X stream), written to a folder of its own and moved
# into place only when complete (a copy cut short is started again, never served), with
# -R: standby.signal and primary_conninfo, so that PostgreSQL starts as a hot standby that
# follows the primary. Every time: PostgreSQL in that folder, read-only, with the script's
# arguments as more server options (e.g. -c max_standby_streaming_delay=60s).
#
# The primary is named by the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD); its
# user needs the REPLICATION attribute (the image's POSTGRES_USER has it) and pg_hba.conf
# must let it connect for replication (deploy/pg_hba.conf does, from the compose network).
# A replica that fell further behind than the primary keeps WAL for (wal_keep_size) cannot
# catch up: delete its volume (docker compose rm -sf replica; docker volume rm
# liaison_replicadata) and start it again to make a fresh copy.
set -eu

PGDATA=${PGDATA:-/var/lib/postgresql/data/pgdata}
INCOMING=$(dirname "$PGDATA")/incoming

log() {
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) replica: $*" >&2
}

# As the postgres user (the image starts as root; gosu is in it).
as_postgres() {
    if [ "$(id -u)" = 0 ]; then gosu postgres "$@"; else "$@"; fi
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -q; do
        log "waiting for the primary ($PGHOST)"
        sleep 2
    done
    rm -rf "$INCOMING"
    mkdir -p "$INCOMING"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$(dirname "$PGDATA")" "$INCOMING"; fi
    chmod 700 "$INCOMING"
    log "copying the primary ($PGHOST) into $INCOMING"
    as_postgres pg_basebackup --pgdata="$INCOMING" --wal-method=stream --write-recovery-conf \
        --checkpoint=fast --no-password --progress
    rm -rf "$PGDATA"
    mv "$INCOMING" "$PGDATA"
    log "copy complete; starting as a hot standby"
fi

# hot_standby_feedback: the primary keeps the rows a long query here still reads, so that
# replaying its changes does not cancel the query (liaison.replicas reads such a page from
# the primary again when it happens anyway).
set -- postgres -D "$PGDATA" -c hot_standby=on -c hot_standby_feedback=on "$@"
if [ "$(id -u)" = 0 ]; then exec gosu postgres "$@"; else exec "$@"; fi
