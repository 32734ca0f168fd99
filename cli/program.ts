import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { redact, secretsOf } from './config';
import { CommandContext, type CliIo } from './context';
import { CliError, EXIT } from './errors';
import { registerAudit } from './commands/audit';
import { registerRestores } from './commands/restores';
import { registerRuns } from './commands/runs';
import { registerSlo } from './commands/slo';
import { registerSources } from './commands/sources';

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const EXIT_HELP = `
Environment:
  LIFEBOAT_URL     the server, e.g. https://lifeboat.example.com (or --url)
  LIFEBOAT_TOKEN   an API token, lbt_… (or --token; the environment keeps it out of ps and shell history)

Exit status:
  0 ok; 1 a followed run failed or was cancelled, the audit chain is broken, a server error;
  2 bad arguments or the API refused the input (its code and message are printed);
  3 no token, or the API answered 401/403; 4 the server could not be reached; 130 Ctrl-C while following a run.
`;

/**
 * The `lifeboat` command tree. Output goes through `writeOut`/`writeErr` (redacted of the token); commander's own
 * errors (unknown command, missing argument) throw instead of exiting, so `runCli` maps them to exit 2.
 */
export function buildProgram(out: { writeOut: (s: string) => void; writeErr: (s: string) => void }, contextOf: (cmd: Command) => CommandContext): Command {
  const program = new Command('lifeboat')
    .description('Lifeboat from any machine: back up, restore, approve, check SLOs and the audit trail over the REST API')
    .version(version(), '-V, --version')
    .addOption(new Option('--url <url>', 'Lifeboat server (default: $LIFEBOAT_URL)'))
    .addOption(new Option('--token <token>', 'API token (default: $LIFEBOAT_TOKEN; prefer the environment)'))
    .option('--json', 'machine output: the answer as JSON on stdout, nothing else there')
    .option('-q, --quiet', 'no progress on stderr while following a run')
    .addHelpText('after', EXIT_HELP)
    .configureOutput({ writeOut: out.writeOut, writeErr: out.writeErr })
    .showHelpAfterError('(lifeboat --help for usage)')
    .exitOverride();

  registerSources(program, contextOf);
  registerRestores(program, contextOf);
  registerRuns(program, contextOf);
  registerAudit(program, contextOf);
  registerSlo(program, contextOf);
  return program;
}

/**
 * Runs one `lifeboat …` invocation (argv without node and script) and returns its exit status (docs/CLI.md).
 * Errors are one line on stderr, `lifeboat: <what>`; with `--json` that line is `{"error":{code,message,exitCode}}`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const secrets = secretsOf(argv, io.env);
  const writeOut = (s: string) => void io.stdout.write(redact(s, secrets));
  const writeErr = (s: string) => void io.stderr.write(redact(s, secrets));
  const userAgent = `lifeboat-cli/${version()} node/${process.versions.node}`;
  let context: CommandContext | null = null;
  const program = buildProgram({ writeOut, writeErr }, (cmd) => {
    context = new CommandContext(io, cmd.optsWithGlobals(), secrets, userAgent);
    return context;
  });
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return (context as CommandContext | null)?.exitCode ?? EXIT.OK;
  } catch (e) {
    // Commander has printed its message (or the help, or the version) already.
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    const err = e instanceof CliError ? e : new CliError(`internal error: ${e instanceof Error ? e.message : String(e)}`, EXIT.FAILED, 'INTERNAL');
    if (argv.includes('--json')) writeErr(`${JSON.stringify({ error: { code: err.code ?? 'ERROR', message: err.apiMessage ?? err.message, exitCode: err.exitCode, ...(err.status ? { status: err.status } : {}) } })}\n`);
    else writeErr(`lifeboat: ${err.message}\n`);
    return err.exitCode;
  }
}
