import path from 'node:path';

import { z } from 'zod';

/** Replaced, in `argv` and `checkArgv` elements, by the private scratch directory the capture command writes into. */
export const OUTPUT_DIR = '{outputDir}';
/** Replaced, in `restoreArgv` elements, by the private directory holding the point's files for the restore command. */
export const INPUT_DIR = '{inputDir}';

// Far above any real command line (kubectl with a long kind list is ~20), low enough that a pasted file is refused.
const MAX_ARGS = 256;
// Linux's MAX_ARG_STRLEN is 128 KiB; an argument longer than a long path is a mistake or a pasted secret.
const MAX_ARG_LENGTH = 4096;
// A tool needs a handful of variables; dozens mean a pasted environment (with the worker's secrets in it, perhaps).
const MAX_ENV_ENTRIES = 64;
// A certificate in PEM fits; a pasted archive does not.
const MAX_ENV_VALUE_LENGTH = 32 * 1024;
// Linux PATH_MAX.
const MAX_PATH_LENGTH = 4096;
/** Most config dumps take seconds; an etcd or Vault snapshot of a big cluster minutes. A stuck tool is stopped after this. */
export const DEFAULT_TIMEOUT_SECONDS = 60 * 60;
/** A day: a capture that takes longer is not a config capture. */
export const MAX_TIMEOUT_SECONDS = 24 * 60 * 60;

export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A program given by name, looked up on the worker's PATH when the command runs. */
const BARE_PROGRAM = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * A list as JSON (the API's shape, and the only one a one-line form input can hold) or as text: a JSON array string
 * (`["kubectl","get","pods"]`), or one argument per line (blank lines skipped). Anything else is left for the array
 * schema to refuse, with a message saying how to write it.
 */
function parseList(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return [];
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return value;
    }
  }
  return value.split(/\r?\n/).filter((line) => line.trim() !== '');
}

/** An object as JSON, or as text: a JSON object string, or `NAME=value` lines (blank lines skipped). */
function parseVariables(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return {};
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return value;
    }
  }
  const out: Record<string, string> = {};
  for (const line of value.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    // Not NAME=value: leave the text for the record schema to refuse (it never echoes the value, which may be a secret).
    if (eq <= 0) return value;
    out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}

const argument = z
  .string({ message: 'each argument must be a string' })
  .max(MAX_ARG_LENGTH, `an argument is at most ${MAX_ARG_LENGTH} characters`)
  .refine((a) => !NUL.test(a), 'an argument must not contain NUL');

/** The program, then its arguments, exactly as the program receives them: no shell reads them. */
const argvList = (what: string) =>
  z.preprocess(
    parseList,
    z
      .array(argument, { message: `${what} must be a list of arguments: a JSON array such as ["kubectl","get","pods"], or one argument per line` })
      .min(1, `${what} needs at least the program`)
      .max(MAX_ARGS, `${what} has at most ${MAX_ARGS} arguments`)
      .superRefine((argv, ctx) => {
        const program = argv[0] ?? '';
        const absolute = path.isAbsolute(program);
        if (absolute ? path.normalize(program) !== program || program.endsWith('/') : !BARE_PROGRAM.test(program)) {
          ctx.addIssue({
            code: 'custom',
            path: [0],
            message: /\s/.test(program)
              ? `the program "${program.slice(0, 60)}" holds spaces: give ${what} as a list, one argument per element, e.g. ["kubectl","get","pods"]`
              : `the program must be an absolute path (/usr/bin/kubectl) or a bare name found on the worker's PATH (kubectl)`,
          });
        }
        // The program runs through `env -C DIR -- PROGRAM …`, which would read NAME=VALUE there as a variable.
        if (program.includes('=') || program.includes('{')) ctx.addIssue({ code: 'custom', path: [0], message: 'the program must not contain "=" or "{"' });
      }),
  );

const variables = (what: string) =>
  z.preprocess(
    parseVariables,
    z
      .record(
        z.string().regex(ENV_NAME_PATTERN, `${what} names are letters, digits and underscores, not starting with a digit`),
        z
          .string({ message: `${what} values must be strings` })
          .max(MAX_ENV_VALUE_LENGTH, `${what} values are at most ${MAX_ENV_VALUE_LENGTH} characters`)
          .refine((v) => !NUL.test(v), `${what} values must not contain NUL`),
        { message: `${what} must be an object of NAME: value (JSON {"NAME":"value"}, or NAME=value lines)` },
      )
      .refine((v) => Object.keys(v).length <= MAX_ENV_ENTRIES, `${what} has at most ${MAX_ENV_ENTRIES} variables`),
  );

const absoluteDir = z
  .string()
  .min(1)
  .max(MAX_PATH_LENGTH)
  .refine((p) => !CONTROL_CHARACTER.test(p), 'cwd must not contain control characters')
  .refine((p) => path.isAbsolute(p) && path.normalize(p) === p, 'cwd must be an absolute, normalised path');

// Forms and hand-written JSON often send "600".
const seconds = z.preprocess(
  (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v),
  z.number({ message: `timeoutSeconds must be a number from 1 to ${MAX_TIMEOUT_SECONDS}` }).int().min(1).max(MAX_TIMEOUT_SECONDS),
);

export const CommandOutput = z.enum(['stdout', 'files']);
export type CommandOutput = z.infer<typeof CommandOutput>;

const mentions = (argv: readonly string[] | undefined, placeholder: string) => argv?.some((a) => a.includes(placeholder)) ?? false;

/**
 * A capture command: a program of an admin's choosing, run on a worker without a shell. `output: "stdout"` keeps what
 * it prints (one object); `"files"` keeps every regular file it writes into `{outputDir}` (one object each). The
 * command runs in `cwd`, or else in that scratch directory. `checkArgv` (optional) runs after it, on the same
 * `{outputDir}`, and must exit 0 (e.g. `etcdctl snapshot status {outputDir}/etcd.db`). `restoreArgv` (optional) is the
 * restore: it reads the object on its stdin (stdout output) or finds the files in `{inputDir}` (files output).
 * Values that are secret go in the secrets' `secretEnv`, never here: this is stored and shown in clear.
 */
export const CommandConfig = z
  .object({
    argv: argvList('argv'),
    env: variables('env').default({}),
    cwd: absoluteDir.optional(),
    timeoutSeconds: seconds.default(DEFAULT_TIMEOUT_SECONDS),
    output: CommandOutput.default('stdout'),
    checkArgv: argvList('checkArgv').optional(),
    restoreArgv: argvList('restoreArgv').optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (mentions(c.argv, INPUT_DIR)) ctx.addIssue({ code: 'custom', path: ['argv'], message: `${INPUT_DIR} is for restoreArgv; the capture writes into ${OUTPUT_DIR}` });
    if (mentions(c.checkArgv, INPUT_DIR)) ctx.addIssue({ code: 'custom', path: ['checkArgv'], message: `${INPUT_DIR} is for restoreArgv; the check reads ${OUTPUT_DIR}` });
    // A printed output is streamed as it comes: there is no file for a check to look at before it is kept.
    if (c.checkArgv !== undefined && c.output !== 'files') ctx.addIssue({ code: 'custom', path: ['checkArgv'], message: 'checkArgv needs output "files": it checks the files in {outputDir}' });
    if (mentions(c.restoreArgv, OUTPUT_DIR)) ctx.addIssue({ code: 'custom', path: ['restoreArgv'], message: `${OUTPUT_DIR} is for argv; the restore reads ${INPUT_DIR}` });
    if (c.output === 'files' && c.cwd !== undefined) {
      // Without cwd the command runs in {outputDir} itself, so relative names land there; with one it must be told.
      if (!mentions(c.argv, OUTPUT_DIR)) ctx.addIssue({ code: 'custom', path: ['argv'], message: `with output "files" and a cwd, argv must name ${OUTPUT_DIR} (where the files go)` });
      if (c.restoreArgv !== undefined && !mentions(c.restoreArgv, INPUT_DIR)) {
        ctx.addIssue({ code: 'custom', path: ['restoreArgv'], message: `with output "files" and a cwd, restoreArgv must name ${INPUT_DIR} (where the files are)` });
      }
    }
  });
export type CommandConfig = z.infer<typeof CommandConfig>;

/** Variables only the command sees, sealed with the master key: tokens, passwords. Never in argv, logs or job payloads. */
export const CommandSecrets = z.object({ secretEnv: variables('secretEnv').default({}) }).strict();
export type CommandSecrets = z.infer<typeof CommandSecrets>;

export const CommandRestoreMode = z.enum(['command', 'download']);
export type CommandRestoreMode = z.infer<typeof CommandRestoreMode>;

/**
 * Nothing to choose: where a capture command's restore goes is its `restoreArgv`, set by an admin on the source. A
 * requester can never point it elsewhere.
 */
export const CommandRestoreTarget = z.object({}).strict();
export type CommandRestoreTarget = z.infer<typeof CommandRestoreTarget>;
