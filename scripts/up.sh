#!/usr/bin/env bash
# npm run up [-- --no-build]: install, provision and run Lifeboat (web + one worker) in the foreground.
#
#   1. node >= 20.19, npm install --no-audit --no-fund
#   2. scripts/ensure-system.sh: PostgreSQL, Redis, zstd, age (apt-get as root, else prints the command)
#   3. node scripts/services.mjs env: DATABASE_URL / REDIS_URL if set, else private PostgreSQL 127.0.0.1:55432 and
#      Redis 127.0.0.1:56379 with their data under .data/ (see scripts/lib/services.mjs)
#   4. prisma generate, migrate deploy, seed (the first run creates the admin and prints its password once)
#   5. next build (skipped with --no-build when a build exists), then `next start` on 127.0.0.1:$PORT (default 3000)
#      and one worker (workers/main.ts), both in the background; the URL and how to sign in are printed
#
# Ctrl-C / SIGTERM stops the web server and the worker this script started (SIGTERM, then SIGKILL after 20 s), and
# so does either of them exiting. The private PostgreSQL and Redis keep running on purpose: the next `npm run up`
# starts in seconds and the catalog is not at risk from a half-finished shutdown. Stop them with
# `node scripts/services.mjs stop`.
#
# Works before node_modules exists: only bash, node and npm are needed to start.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "up: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

PORT=${PORT:-3000}
# Stops the worker draining forever: it gets this long after SIGTERM to release its runs.
STOP_TIMEOUT_S=20
# next start is usually ready in a few seconds; 90 s covers a cold cache on a small VM.
READY_TIMEOUT_S=90

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\nup: %s\n' "$*" >&2; exit 1; }

# step NAME CMD...: run CMD, and on failure name the step that failed instead of leaving a bare exit code.
step() {
  local name=$1
  shift
  say "$name"
  "$@" || die "'$name' failed (exit $?); see the output above."
}

need_file() { [[ -f $1 ]] || die "$1 is missing ($2); this checkout is incomplete."; }

# ------------------------------------------------------------------ prerequisites

command -v node >/dev/null || die "node is not installed; Lifeboat needs Node.js >= 20.19 (https://nodejs.org or NodeSource's Debian packages)."
# shellcheck disable=SC2016  # JavaScript, not shell
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) {
    console.error(`up: Node.js ${process.versions.node} is too old; Lifeboat needs >= 20.19 (Prisma 7).`);
    process.exit(1);
  }' || exit 1

step "npm install" npm install --no-audit --no-fund
step "system packages" bash scripts/ensure-system.sh

say "PostgreSQL and Redis"
env_out=$(PORT=$PORT node scripts/services.mjs env) || die "could not provide PostgreSQL/Redis (see the message above)."
eval "$env_out"

mkdir -p .data
engine_stub=$ROOT/.data/no-engine
if [[ ! -x $engine_stub ]]; then
  # prisma generate wants a schema engine binary it never runs; migrations go through prisma/migrator.
  printf '#!/bin/sh\necho "Lifeboat: the Prisma schema engine is not used; see prisma/migrator" >&2\nexit 1\n' >"$engine_stub"
  chmod +x "$engine_stub"
fi
need_file prisma/schema.prisma "the catalog schema"
step "prisma generate" env PRISMA_SCHEMA_ENGINE_BINARY="$engine_stub" npx prisma generate

need_file prisma/migrator/migrate.ts "the migration runner"
step "migrate deploy" npx tsx prisma/migrator/migrate.ts deploy

need_file prisma/seed.ts "the seed"
say "seed"
seed_out=$(npx tsx prisma/seed.ts 2>&1) || { printf '%s\n' "$seed_out"; die "'seed' failed; see the output above."; }
printf '%s\n' "$seed_out"

if [[ $build -eq 1 || ! -f .next/BUILD_ID ]]; then
  [[ $build -eq 0 ]] && echo "up: --no-build but there is no build yet (.next/BUILD_ID); building"
  step "next build" npx next build
else
  say "next build skipped (--no-build; using the existing .next)"
fi

# ------------------------------------------------------------------ run

need_file workers/main.ts "the worker entry point"
bin=$ROOT/node_modules/.bin
web_pid=""
worker_pid=""

# shellcheck disable=SC2317  # reached through the EXIT trap
stop_all() {
  local pids=() pid i
  for pid in $web_pid $worker_pid; do kill -0 "$pid" 2>/dev/null && pids+=("$pid"); done
  [[ ${#pids[@]} -eq 0 ]] && return 0
  echo "up: stopping the web server and the worker"
  # Each runs in its own process group (set -m below): signal the group so tsx's child node gets it too.
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "up: pid $pid did not stop within ${STOP_TIMEOUT_S}s; killing it" >&2
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  done
  echo "up: stopped. PostgreSQL/Redis (if private) keep running; stop them with: node scripts/services.mjs stop"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Job control gives each background process its own process group, so a Ctrl-C reaches only this script, which
# then shuts the two down in order (instead of both getting SIGINT and this script SIGTERMing them again).
set -m
"$bin/next" start -p "$PORT" -H 127.0.0.1 </dev/null &
web_pid=$!
# Two malloc arenas instead of one per thread: ~45 MB less resident memory, no measurable cost (docs/OPERATIONS.md).
MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} "$bin/tsx" workers/main.ts </dev/null &
worker_pid=$!
set +m

say "waiting for http://127.0.0.1:$PORT"
ready=0
for ((i = 0; i < READY_TIMEOUT_S; i++)); do
  kill -0 "$web_pid" 2>/dev/null || break
  kill -0 "$worker_pid" 2>/dev/null || break
  if node -e 'fetch(process.argv[1], { redirect: "manual" }).then(() => process.exit(0), () => process.exit(1))' \
    "http://127.0.0.1:$PORT/"; then
    ready=1
    break
  fi
  sleep 1
done
if [[ $ready -ne 1 ]]; then
  kill -0 "$web_pid" 2>/dev/null || die "the web server exited during start-up (port $PORT in use? set PORT=...); see its output above."
  kill -0 "$worker_pid" 2>/dev/null || die "the worker exited during start-up; see its output above."
  die "the web server did not answer on http://127.0.0.1:$PORT within ${READY_TIMEOUT_S}s."
fi

printf '\n\033[1mLifeboat is running: http://127.0.0.1:%s\033[0m   (web pid %s, worker pid %s)\n' "$PORT" "$web_pid" "$worker_pid"
# The seed says who the admin is and where the password comes from (generated and shown once on the first run,
# or LIFEBOAT_ADMIN_PASSWORD); repeat that here because the build output has scrolled it away.
admin_lines=$(grep -i -e 'admin' -e 'password' <<<"$seed_out" || true)
if [[ -n $admin_lines ]]; then
  echo "Sign in as the admin:"
  while IFS= read -r line; do echo "  $line"; done <<<"$admin_lines"
else
  echo "Sign in as the admin: its password was printed by the first 'npm run up', or is LIFEBOAT_ADMIN_PASSWORD if that was set then."
fi
# Never echo a password that came in through DATABASE_URL / REDIS_URL.
mask() { sed -E 's#//([^:@/]*):[^@/]*@#//\1:***@#' <<<"$1"; }
echo "Data: $LIFEBOAT_DATA_DIR   Database: $(mask "$DATABASE_URL")   Redis: $(mask "$REDIS_URL")"
echo "Press Ctrl-C to stop the web server and the worker."

# Whichever exits first (or a signal) ends the session; the EXIT trap stops the other.
set +e
wait -n "$web_pid" "$worker_pid"
code=$?
set -e
if ! kill -0 "$web_pid" 2>/dev/null; then
  die "the web server exited (code $code); stopping the worker."
fi
die "the worker exited (code $code); stopping the web server."
