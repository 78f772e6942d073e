#!/usr/bin/env bash
# Regenerates the web app's typed Api client (DeepSim.Web/ApiClient, Kiota) from the OpenAPI document the Api's build
# writes to contracts/DeepSim.Api.json. Run it after changing an endpoint; the web build then fails wherever a page
# used what changed. A test (ApiClientContractTests) fails while the committed client lags the document.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 KIOTA_OFFLINE_ENABLED=true KIOTA_TUTORIAL_ENABLED=false
# The Api build embeds Swagger UI from tools/openapi (./deepsim installs it the same way before its builds).
if [ ! -f tools/openapi/node_modules/.package-lock.json ] || [ tools/openapi/package-lock.json -nt tools/openapi/node_modules/.package-lock.json ]; then
  (cd tools/openapi && npm ci --no-audit --no-fund --loglevel=error)
fi
dotnet build DeepSim.Api/DeepSim.Api.csproj -nologo -v quiet -clp:ErrorsOnly
dotnet tool restore >/dev/null
dotnet kiota generate -l CSharp -d contracts/DeepSim.Api.json -o DeepSim.Web/ApiClient \
  -n DeepSim.Web.ApiClient -c DeepSimApiClient --clean-output --exclude-backward-compatible --log-level Warning
# Kiota also writes its warnings (printed above) to a log in the output folder: not part of the client.
rm -f DeepSim.Web/ApiClient/.kiota.log
