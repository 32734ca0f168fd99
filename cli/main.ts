import { readFileSync } from 'node:fs';
import { runCli } from './program';

// `npx tsx cli/main.ts …`, `npm run -s cli -- …` or the `lifeboat` bin (cli/lifeboat.mjs). Nothing here reads the
// catalog, Redis or the master key: only LIFEBOAT_URL and LIFEBOAT_TOKEN (docs/CLI.md).

const stop = new AbortController();
// The first Ctrl-C stops following a run (the run goes on on the server) and ends with 130; a second one kills.
process.once('SIGINT', () => {
  stop.abort();
  process.once('SIGINT', () => process.exit(130));
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  readText: (path) => readFileSync(path === '-' ? 0 : path, 'utf8'),
  signal: stop.signal,
});
// exitCode, not exit(): stdout is a pipe in scripts and must drain first.
process.exitCode = code;
