#!/usr/bin/env bash
# npm test: every check the project has, in one command, on a fresh Debian machine.
#
#   bash scripts/test.sh [--only STAGE[,STAGE...]]     stages: lint typecheck drift unit integration e2e
#
# setup        npm install (only when node_modules is missing), scripts/ensure-system.sh --with-browser,
#              test services (node scripts/services.mjs env --test: database lifeboat_test, queue prefix
#              lifeboat-test, data dir .data/test), a clean slate (services.mjs reset-test drops lifeboat_test,
#              deletes lifeboat-test:* keys, empties .data/test), prisma generate, migrate deploy from scratch
# lint         npx eslint .
# typecheck    npx tsc --noEmit
# drift        prisma/migrator/migrate.ts check: schema.prisma and migrations/ agree
# unit         vitest, everything but *.int.test.ts
# integration  vitest, *.int.test.ts against the real PostgreSQL/Redis, 2 files at a time (2-core CI machine)
# e2e          next build, a clean slate again when integration ran before it, seed the admin with a fixed password,
#              Playwright (web on :3100 + one worker)
#
# A failing stage does not stop the others. The last line is always
#   SUMMARY: passed=N failed=N (setup ok, lint ok, ..., e2e FAILED)
# and the exit status is non-zero if anything failed or was skipped. Stages that need the database are skipped
# (not run into a wall of connection errors) when setup could not provide it.
#
# Budget: the whole run must stay under 15 minutes on a 2-core machine. Each stage has a hard timeout so that a
# hang fails one stage instead of the whole CI job; they are generous multiples of what the stage normally takes.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

ALL_STAGES=(lint typecheck drift unit integration e2e)
only=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) only=${2:-}; shift 2 || { echo "test: --only needs a value" >&2; exit 2; } ;;
    --only=*) only=${1#--only=}; shift ;;
    -h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
selected=()
if [[ -z $only ]]; then
  selected=("${ALL_STAGES[@]}")
else
  IFS=',' read -r -a selected <<<"$only"
  for s in "${selected[@]}"; do
    [[ " ${ALL_STAGES[*]} " == *" $s "* ]] || { echo "test: unknown stage '$s' (${ALL_STAGES[*]})" >&2; exit 2; }
  done
fi

# The admin the e2e specs sign in as. Fixed on purpose: the test database is recreated on every run.
export LIFEBOAT_ADMIN_PASSWORD='e2e-Lifeboat-admin-2026'
export E2E_ADMIN_PASSWORD=$LIFEBOAT_ADMIN_PASSWORD
export NEXT_TELEMETRY_DISABLED=1

names=()
results=()
times=()
current=""      # pid of the running command, for the signal trap
interrupted=0

# SIGINT, not SIGTERM, for the running stage: Playwright shuts its web server and worker down on SIGINT but
# leaves them orphaned on SIGTERM.
on_signal() {
  interrupted=1
  if [[ -n $current ]]; then kill -INT "$current" 2>/dev/null; fi
}
trap on_signal INT TERM

# run SECONDS CMD...: run CMD under a hard timeout. Backgrounded and waited for so that Ctrl-C reaches the trap
# at once; `timeout` puts CMD in its own process group and signals all of it (vitest/Playwright children too).
run() {
  local secs=$1
  shift
  [[ $interrupted -eq 1 ]] && return 130
  timeout -k 15 "$secs" "$@" </dev/null &
  current=$!
  local rc
  wait "$current"
  rc=$?
  while kill -0 "$current" 2>/dev/null; do wait "$current"; rc=$?; done
  reap_group "$current" "$*"
  current=""
  if [[ $rc -eq 124 ]]; then echo "test: timed out after ${secs}s: $*" >&2; fi
  return "$rc"
}

# reap_group PGID WHAT: `timeout` led its own process group, so anything still in it is a process the stage
# leaked (say, a worker a failed test never stopped). Stop it so it cannot consume the next stage's jobs.
# (Zombies do not count: where init does not reap, an exited process lingers in the table.)
live_in_group() { ps -e -o pgid=,stat=,pid=,args= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { $1 = ""; print; n++ } END { exit n == 0 }'; }
reap_group() {
  local pgid=$1 what=$2 i
  live_in_group "$pgid" >/dev/null || return 0
  echo "test: '$what' left processes behind; stopping them:" >&2
  live_in_group "$pgid" | sed 's/^/  /' >&2
  kill -TERM -- "-$pgid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do live_in_group "$pgid" >/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$pgid" 2>/dev/null
  return 0
}

record() { # record NAME RESULT SECONDS
  names+=("$1")
  results+=("$2")
  times+=("$3")
}

banner() { printf '\n\033[1m=== %s\033[0m\n' "$1"; }

# stage NAME FUNCTION: run one selected stage and record ok / FAILED.
stage() {
  local name=$1 fn=$2
  [[ " ${selected[*]} " == *" $name "* ]] || return 0
  if [[ $interrupted -eq 1 ]]; then record "$name" skipped 0; return 0; fi
  banner "$name"
  local start=$SECONDS
  if "$fn"; then
    record "$name" ok $((SECONDS - start))
  else
    record "$name" FAILED $((SECONDS - start))
    echo "test: stage '$name' FAILED" >&2
  fi
}

skip() { # skip NAME REASON
  [[ " ${selected[*]} " == *" $1 "* ]] || return 0
  banner "$1"
  echo "test: skipped: $2" >&2
  record "$1" skipped 0
}

summary() {
  local passed=0 failed=0 skipped=0 parts=() i
  echo
  for i in "${!names[@]}"; do
    printf '  %-12s %-8s %4ss\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
    case "${results[$i]}" in
      ok) passed=$((passed + 1)) ;;
      FAILED*) failed=$((failed + 1)) ;;
      *) skipped=$((skipped + 1)) ;;
    esac
    parts+=("${names[$i]} ${results[$i]}")
  done
  local joined
  joined=$(printf '%s, ' "${parts[@]}")
  local extra=""
  [[ $skipped -gt 0 ]] && extra=" skipped=$skipped"
  [[ $interrupted -eq 1 ]] && extra="$extra interrupted"
  echo "SUMMARY: passed=$passed failed=$failed$extra (${joined%, }) in $((SECONDS / 60))m$((SECONDS % 60))s"
  [[ $failed -eq 0 && $skipped -eq 0 && $interrupted -eq 0 ]]
}

# ------------------------------------------------------------------ setup

services_ok=0
migrated=0
setup_failed=""
note_setup_failure() { setup_failed="${setup_failed:+$setup_failed,}$1"; }

setup() {
  if [[ ! -d node_modules ]]; then
    echo "test: node_modules missing, running npm install"
    if ! run 900 npm install --no-audit --no-fund; then
      note_setup_failure install
      return 1
    fi
  fi
  run 900 bash scripts/ensure-system.sh --with-browser || note_setup_failure system

  local env_out
  if env_out=$(node scripts/services.mjs env --test) && eval "$env_out"; then
    services_ok=1
    export NEXTAUTH_URL=http://127.0.0.1:3100
  else
    note_setup_failure services
  fi

  mkdir -p .data
  local engine_stub=$ROOT/.data/no-engine
  if [[ ! -x $engine_stub ]]; then
    # prisma generate wants a schema engine binary it never runs; migrations go through prisma/migrator.
    printf '#!/bin/sh\necho "Lifeboat: the Prisma schema engine is not used; see prisma/migrator" >&2\nexit 1\n' >"$engine_stub"
    chmod +x "$engine_stub"
  fi
  PRISMA_SCHEMA_ENGINE_BINARY=$engine_stub run 300 npx prisma generate || note_setup_failure generate

  if [[ $services_ok -eq 1 ]]; then
    if run 120 node scripts/services.mjs reset-test && run 120 npx tsx prisma/migrator/migrate.ts deploy; then
      migrated=1
    else
      note_setup_failure migrate
    fi
  fi
  [[ -z $setup_failed ]]
}

banner setup
setup_start=$SECONDS
if setup; then
  record setup ok $((SECONDS - setup_start))
else
  record setup "FAILED($setup_failed)" $((SECONDS - setup_start))
  echo "test: setup FAILED: $setup_failed" >&2
  if [[ $setup_failed == install ]]; then
    for s in "${selected[@]}"; do record "$s" skipped 0; done
    summary
    exit 1
  fi
fi

# ------------------------------------------------------------------ stages

lint() { run 300 npx eslint .; }
typecheck() { run 400 npx tsc --noEmit; }
drift() { run 120 npx tsx prisma/migrator/migrate.ts check; }
unit() { LOG_LEVEL=${LOG_LEVEL:-warn} run 300 npx vitest run --exclude '**/*.int.test.ts'; }
# The daily audit check anchors the chain head on every destination of the catalog: in the shared test catalog those
# are other test files' folders and buckets, so the workers the tests start leave it off (its own tests call it).
integration() {
  LOG_LEVEL=${LOG_LEVEL:-warn} LIFEBOAT_AUDIT_CHECK_INTERVAL_SECONDS=${LIFEBOAT_AUDIT_CHECK_INTERVAL_SECONDS:-0} \
    run 480 npx vitest run --maxWorkers=2 .int.test.ts
}

e2e() {
  run 480 npx next build || return 1
  # The browser specs start from the catalog a new user has after `npm run up`, not from what the integration stage
  # left behind: with sources and admins of earlier stages in it, the seed would make neither the demo source
  # (lifeboat-catalog) nor the admin the specs sign in as.
  if [[ " ${selected[*]} " == *" integration "* ]]; then
    run 120 node scripts/services.mjs reset-test || return 1
    run 120 npx tsx prisma/migrator/migrate.ts deploy || return 1
  fi
  # Idempotent; on the fresh test database it creates the admin with LIFEBOAT_ADMIN_PASSWORD.
  run 120 npx tsx prisma/seed.ts || return 1
  local rc=0 exited=$LIFEBOAT_DATA_DIR/worker.exited
  rm -f "$exited" "$LIFEBOAT_DATA_DIR/worker.log"
  # PLAYWRIGHT_ARGS (e.g. "e2e/api.spec.ts") narrows the run to some specs while working on them.
  # shellcheck disable=SC2086 # word splitting of PLAYWRIGHT_ARGS is the point
  run 480 npx playwright test ${PLAYWRIGHT_ARGS:-} || rc=$?
  # playwright.config.ts: the file exists only if the worker quit by itself, which a passing suite can hide.
  if [[ -f $exited ]]; then
    echo "test: the worker exited during the e2e run (status $(cat "$exited"))" >&2
    [[ $rc -eq 0 ]] && rc=1
  fi
  if [[ $rc -ne 0 && -s $LIFEBOAT_DATA_DIR/worker.log ]]; then
    echo "--- last 40 lines of $LIFEBOAT_DATA_DIR/worker.log ---"
    tail -n 40 "$LIFEBOAT_DATA_DIR/worker.log"
  fi
  return "$rc"
}

stage lint lint
stage typecheck typecheck
if [[ $services_ok -eq 1 ]]; then stage drift drift; else skip drift "no test database (setup: services)"; fi
stage unit unit
if [[ $migrated -eq 1 ]]; then
  stage integration integration
  stage e2e e2e
else
  skip integration "test database not migrated (setup: $setup_failed)"
  skip e2e "test database not migrated (setup: $setup_failed)"
fi

summary
