#!/usr/bin/env bash
# Regenerates the web app's typed clients (Kiota) from the OpenAPI documents the services' builds write to contracts/:
# the Api's (contracts/DeepSim.Api.json → DeepSim.Web/ApiClient) and Analytics' (contracts/DeepSim.Analytics.json →
# DeepSim.Web/AnalyticsClient). Run it after changing an endpoint; the web build then fails wherever a page used what
# changed. A test (ApiClientContractTests) fails while a committed client lags its document.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 KIOTA_OFFLINE_ENABLED=true KIOTA_TUTORIAL_ENABLED=false
# The Api build embeds Swagger UI from tools/openapi (./deepsim installs it the same way before its builds).
if [ ! -f tools/openapi/node_modules/.package-lock.json ] || [ tools/openapi/package-lock.json -nt tools/openapi/node_modules/.package-lock.json ]; then
  (cd tools/openapi && npm ci --no-audit --no-fund --loglevel=error)
fi
dotnet build DeepSim.Api/DeepSim.Api.csproj -nologo -v quiet -clp:ErrorsOnly
dotnet build DeepSim.Analytics/DeepSim.Analytics.csproj -nologo -v quiet -clp:ErrorsOnly
dotnet tool restore >/dev/null
generate() { # contract, output folder, namespace, client class
  dotnet kiota generate -l CSharp -d "$1" -o "$2" -n "$3" -c "$4" --clean-output --exclude-backward-compatible --log-level Warning
  # Kiota also writes its warnings (printed above) to a log in the output folder: not part of the client.
  rm -f "$2/.kiota.log"
}
generate contracts/DeepSim.Api.json DeepSim.Web/ApiClient DeepSim.Web.ApiClient DeepSimApiClient
generate contracts/DeepSim.Analytics.json DeepSim.Web/AnalyticsClient DeepSim.Web.AnalyticsClient DeepSimAnalyticsClient
