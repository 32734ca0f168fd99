#!/usr/bin/env bash
# Make sure the system tools Lifeboat runs on are installed (Debian/Ubuntu).
#
#   bash scripts/ensure-system.sh [--with-browser]
#
# Needed by the app and worker: PostgreSQL server binaries (initdb, pg_ctl, postgres: the private instance under
# .data/), the client tools pg_dump/pg_restore/psql/pg_isready (the postgres engine), redis-server/redis-cli
# (private instance, redis engine), zstd and age (artifact compression and encryption), and awscli (`aws`: only
# `npm run bench` uses it, as the `aws s3 cp` baseline the S3 destination is measured against), and prometheus with
# promtool (tests only: `promtool check/test rules` on deploy/prometheus/, and e2e/metrics.spec.ts scrapes /metrics
# with a real Prometheus server).
# --with-browser also requires Debian's /usr/bin/chromium for the Playwright e2e suite; Playwright's own browser
# download (`npx playwright install`) is never used, so CI needs no access beyond the Debian mirror.
#
# As root, missing packages are installed with apt-get. Otherwise the exact command is printed and the script exits 1.
set -euo pipefail

with_browser=0
for arg in "$@"; do
  case "$arg" in
    --with-browser) with_browser=1 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ensure-system: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

have() { command -v "$1" >/dev/null 2>&1; }

# Debian keeps the server binaries off PATH in /usr/lib/postgresql/<version>/bin (a /usr/local/bin/initdb
# wrapper or symlink may exist too, and may dangle after an upgrade, so test the real directories first).
have_pg_server() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]] && return 0
  done
  have initdb && have pg_ctl && have postgres
}

have_user() { id -u "$1" >/dev/null 2>&1; }

missing_tools=()
packages=()
need() { # need <package> <description> <check command...>
  local pkg=$1 what=$2
  shift 2
  if ! "$@"; then
    missing_tools+=("$what")
    [[ " ${packages[*]-} " == *" $pkg "* ]] || packages+=("$pkg")
  fi
}

check_all() {
  missing_tools=()
  packages=()
  need postgresql "PostgreSQL server (initdb, pg_ctl)" have_pg_server
  for tool in pg_dump pg_restore psql pg_isready; do need postgresql-client "$tool" have "$tool"; done
  # Running the private cluster as root goes through the postgres OS user that the postgresql package creates.
  if [[ $(id -u) -eq 0 ]]; then need postgresql "the postgres OS user" have_user postgres; fi
  need redis-server "redis-server" have redis-server
  need redis-tools "redis-cli" have redis-cli
  need zstd "zstd" have zstd
  need age "age" have age
  need awscli "aws (npm run bench's S3 baseline)" have aws
  need prometheus "prometheus (the metrics acceptance test)" have prometheus
  need prometheus "promtool (the alert rule tests)" have promtool
  if [[ $with_browser -eq 1 ]]; then need chromium "/usr/bin/chromium" test -x /usr/bin/chromium; fi
}

check_all
if [[ ${#packages[@]} -eq 0 ]]; then
  echo "ensure-system: all system tools present"
  exit 0
fi

echo "ensure-system: missing: ${missing_tools[*]}" >&2
if ! have apt-get; then
  echo "ensure-system: no apt-get here; install the equivalents of these Debian packages yourself: ${packages[*]}" >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "ensure-system: not root; run this once, then retry:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${packages[*]}" >&2
  exit 1
fi

echo "ensure-system: apt-get install -y ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y "${packages[@]}"

check_all
if [[ ${#packages[@]} -ne 0 ]]; then
  echo "ensure-system: still missing after apt-get install: ${missing_tools[*]}" >&2
  exit 1
fi
echo "ensure-system: all system tools present"
