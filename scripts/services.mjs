#!/usr/bin/env node
// CLI over scripts/lib/services.mjs. Plain Node: works before `npm install`.
//
//   node scripts/services.mjs env [--test]            print `export KEY='value'` lines: eval "$(node scripts/services.mjs env)"
//   node scripts/services.mjs run [--test] -- CMD...  run CMD with that environment (node_modules/.bin on PATH)
//   node scripts/services.mjs reset-test              drop lifeboat_test, delete lifeboat-test:* keys, empty .data/test
//   node scripts/services.mjs stop                    stop the private PostgreSQL and Redis under .data/
//
// Diagnostics go to stderr so that stdout of `env` stays eval-able.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, ServiceError, ensureServices, resetTestState, stopServices, toShellExports } from './lib/services.mjs';

const USAGE = 'usage: node scripts/services.mjs env [--test] | run [--test] -- CMD [ARGS...] | reset-test | stop';

async function main(argv) {
  const [command, ...rest] = argv;
  const dash = rest.indexOf('--');
  const flags = dash === -1 ? rest : rest.slice(0, dash);
  const purpose = flags.includes('--test') ? 'test' : 'app';
  const unknown = flags.filter((f) => f !== '--test');
  if (unknown.length > 0) return fail(`unknown option ${unknown[0]}\n${USAGE}`);

  switch (command) {
    case 'env': {
      const env = await ensureServices({ purpose });
      process.stdout.write(`${toShellExports(env)}\n`);
      return 0;
    }
    case 'run': {
      const cmd = dash === -1 ? [] : rest.slice(dash + 1);
      if (cmd.length === 0) return fail(USAGE);
      const env = await ensureServices({ purpose });
      return runWith(cmd, env);
    }
    case 'reset-test': {
      resetTestState(await ensureServices({ purpose: 'test' }));
      return 0;
    }
    case 'stop':
      await stopServices();
      return 0;
    default:
      return fail(USAGE);
  }
}

function runWith([cmd, ...args], env) {
  const bin = path.join(ROOT, 'node_modules', '.bin');
  const child = spawn(cmd, args, {
    stdio: 'inherit',
    env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH ?? ''}` },
  });
  // Let the child shut down gracefully (the worker drains on SIGTERM); we exit when it does.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  return new Promise((resolve) => {
    child.on('error', (err) => resolve(fail(`cannot run ${cmd}: ${err.message}`)));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
}

function signalNumber(signal) {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] ?? 1;
}

function fail(message) {
  process.stderr.write(`services: ${message}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    // Expected failures get one readable message; anything else keeps its stack for debugging.
    process.stderr.write(`services: ${err instanceof ServiceError ? err.message : err.stack}\n`);
    process.exit(1);
  },
);
