#!/usr/bin/env bash
# The demo campaign, end to end on a fresh machine: install, build, start Redis and ZooKeeper,
# create a campaign of 20 pools, enqueue 100,000 grabs, settle them with a 2-worker fleet, and
# print the audit report. The fleet's logs go to a file, so the terminal shows only the story.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
bash scripts/services.sh start

# The operator commands' info logs only repeat what they print; warnings and errors still show.
grab() { LOG_LEVEL=warn node dist/cli/grab.js "$@"; }
campaign=demo-$(date +%Y%m%d-%H%M%S)
fleet_log=${GRAB_SERVICES_DIR:-$PWD/.services}/demo/$campaign.fleet.log
mkdir -p "$(dirname "$fleet_log")"
echo "worker logs: $fleet_log"

grab campaign create --id "$campaign" --pools 20 --packets 2000 --amount 888.88
grab produce --campaign "$campaign" --users 100000 --distribution zipf

# Started directly, not through the function above, so $! is the fleet itself and SIGTERM reaches it.
node dist/cli/grab.js fleet --workers 2 >"$fleet_log" 2>&1 &
fleet=$!
trap 'kill -TERM "$fleet" 2>/dev/null || true' EXIT
echo "fleet: 2 workers settling the grabs"

grab wait --campaign "$campaign" --timeout 600
kill -TERM "$fleet"
wait "$fleet"
trap - EXIT

grab report --campaign "$campaign"
echo "Grants as NDJSON: node dist/cli/grab.js export --campaign $campaign"
echo "Worker logs: $fleet_log"
