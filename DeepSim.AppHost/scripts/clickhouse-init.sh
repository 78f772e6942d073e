#!/usr/bin/env bash
# The local ClickHouse's init step: writes its server and users configuration (ports, folders under STATE_DIR, the
# default user's password as a SHA-256, reachable from this machine only).
# Usage: clickhouse-init.sh STATE_DIR HTTP_PORT TCP_PORT    (password in DEEPSIM_CLICKHOUSE_PASSWORD)
set -euo pipefail
state="$1" http_port="$2" tcp_port="$3"
mkdir -p "$state"/{data,tmp,user_files,format_schemas,log}
state="$(realpath "$state")"
umask 077
hash="$(printf '%s' "$DEEPSIM_CLICKHOUSE_PASSWORD" | sha256sum | cut -d' ' -f1)"
cat > "$state/users.xml" <<XML
<?xml version="1.0"?>
<!-- Written by DeepSim.AppHost at each start. -->
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password_sha256_hex>$hash</password_sha256_hex>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
cat > "$state/config.xml" <<XML
<?xml version="1.0"?>
<!-- Written by DeepSim.AppHost at each start: everything lives under this folder. -->
<yandex>
  <logger>
    <level>warning</level>
    <console>1</console>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http_port</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <path>$state/data/</path>
  <tmp_path>$state/tmp/</tmp_path>
  <user_files_path>$state/user_files/</user_files_path>
  <format_schema_path>$state/format_schemas/</format_schema_path>
  <users_config>$state/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
XML
echo "wrote $state/config.xml and users.xml"
