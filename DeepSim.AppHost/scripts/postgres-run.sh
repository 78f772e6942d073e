#!/usr/bin/env bash
# Runs the local PostgreSQL in the foreground on 127.0.0.1:PORT (the cluster the init step chose). A stop signal
# becomes PostgreSQL's fast shutdown (SIGINT), so open connections from the services cannot hold the stop up.
# Usage: postgres-run.sh STATE_DIR BIN_DIR PORT
set -euo pipefail
state="$(realpath "$1")" bin="$2" port="$3"
cluster="$(cat "$state/cluster-location")"
source "$(dirname "${BASH_SOURCE[0]}")/postgres-common.sh"
stop_orphaned_postmaster "$cluster"
as_postgres=()
[ "$(id -u)" -eq 0 ] && as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --)
"${as_postgres[@]}" "$bin/postgres" -D "$cluster" -p "$port" -k "$cluster" -c listen_addresses=127.0.0.1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null' TERM INT
set +e
# A trapped signal interrupts wait: wait again until the server is gone, then once more for its own exit status
# (0 after a fast shutdown, so a stop is not taken for a crash).
wait $pid
while kill -0 $pid 2>/dev/null; do wait $pid; done
wait $pid
