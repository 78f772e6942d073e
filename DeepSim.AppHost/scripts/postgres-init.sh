#!/usr/bin/env bash
# The local PostgreSQL's init step (an Aspire resource the server waits for): creates the cluster on first use, then on
# every start applies initdb/10-deepsim-roles.sql through the cluster's own socket, with nothing listening on TCP meanwhile.
# Usage: postgres-init.sh STATE_DIR BIN_DIR    (passwords and database name in DEEPSIM_* environment variables)
set -euo pipefail
state="$1" bin="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/postgres-common.sh"
mkdir -p "$state"
state="$(realpath "$state")"

# PostgreSQL refuses to run as root: then it runs as 'postgres', which must be able to enter every folder above its data.
as_postgres=()
[ "$(id -u)" -eq 0 ] && as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --)
cluster="$state/data"
if [ ${#as_postgres[@]} -gt 0 ] && ! "${as_postgres[@]}" test -x "$state"; then
  outside="/var/tmp/deepsim-postgres-$(printf '%s' "$state" | sha256sum | cut -c1-16)"
  # No location note means the state folder was made anew (rm -rf .deepsim resets): so is the cluster.
  [ -f "$state/cluster-location" ] || rm -rf "$outside"
  cluster="$outside/data"
fi
printf '%s\n' "$cluster" > "$state/cluster-location"

stop_orphaned_postmaster "$cluster"

if [ ! -f "$cluster/PG_VERSION" ]; then
  # A half-made cluster from an interrupted first start cannot be repaired: initdb needs an empty folder.
  rm -rf "$cluster"
  mkdir -p "$cluster"
  [ ${#as_postgres[@]} -gt 0 ] && chown -R postgres:postgres "$(dirname "$cluster")"
  chmod 700 "$cluster"
  "${as_postgres[@]}" "$bin/initdb" -D "$cluster" -A trust -U postgres -E UTF8 --no-locale --no-sync --no-instructions >/dev/null
  # Passwords over TCP; the socket (inside the 0700 data folder) is for this init step only.
  cat > "$cluster/pg_hba.conf" <<'HBA'
# Written by DeepSim.AppHost. The Unix socket lives inside the 0700 data folder: only its owner reaches it.
local   all   postgres                  trust
host    all   all        127.0.0.1/32   scram-sha-256
HBA
  [ ${#as_postgres[@]} -gt 0 ] && chown postgres:postgres "$cluster/pg_hba.conf"
  echo "created a PostgreSQL cluster in $cluster"
fi

"${as_postgres[@]}" "$bin/pg_ctl" -D "$cluster" -s -w -t 60 -l "$cluster/init.log" \
  -o "-c listen_addresses='' -k $cluster" start
trap '"${as_postgres[@]}" "$bin/pg_ctl" -D "$cluster" -s -w -t 60 -m fast stop' EXIT
# The DEEPSIM_* variables pass through setpriv's exec unchanged; nothing secret goes on a command line.
"${as_postgres[@]}" /usr/bin/psql -X -q -h "$cluster" -U postgres -d postgres -f "$here/initdb/10-deepsim-roles.sql" >/dev/null
echo "roles deepsim_owner, deepsim_app and deepsim_platform and database $DEEPSIM_DATABASE are ready"
