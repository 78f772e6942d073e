# Sourced by postgres-init.sh and postgres-run.sh.
# A postmaster outliving what started it (a SIGKILLed AppHost or wrapper) holds the cluster's lock, so a new start
# would be refused beside it: ask it for a fast shutdown (SIGINT), then SIGKILL after 10 s. The pid file's pid counts
# only while that process really is a postgres on this cluster (pids are reused).
stop_orphaned_postmaster() {
  local cluster="$1" pid
  [ -f "$cluster/postmaster.pid" ] || return 0
  pid="$(head -n 1 "$cluster/postmaster.pid")"
  is_ours() { tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "-D $cluster "; }
  is_ours || return 0
  echo "stopping the PostgreSQL server (pid $pid) left running on $cluster"
  kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do is_ours || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
