#!/usr/bin/env bash
# The local Redis's init step: writes its configuration, password included, readable by its owner only.
# Usage: redis-init.sh STATE_DIR    (password in DEEPSIM_REDIS_PASSWORD)
set -euo pipefail
state="$1"
mkdir -p "$state"
umask 077
cat > "$state/redis.conf" <<CONF
# Written by DeepSim.AppHost at each start. In memory only: the rate limits, result cache and revocations it holds
# are rebuilt or expire on their own.
bind 127.0.0.1
protected-mode yes
save ""
appendonly no
dir $state
requirepass $DEEPSIM_REDIS_PASSWORD
CONF
echo "wrote $state/redis.conf"
