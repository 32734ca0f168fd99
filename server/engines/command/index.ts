import type { Readable } from 'node:stream';

import type { z } from 'zod';

import { EngineError, parseEngineInput, type Engine, type EngineBackupObject, type EngineProbeResult, type EngineRestoreOptions } from '../engine';
import { backupFiles, backupStdout, STDOUT_EXTENSION, STDOUT_ROLE } from './backup';
import { CommandConfig, CommandRestoreTarget, CommandSecrets } from './config';
import { commandDefinition } from './definition';
import { assertRestorable, restoreFiles, restoreFromStdin, restoreRoles, type FileInput } from './restore';
import { resolveProgram } from './run';

export { CommandConfig, CommandRestoreTarget, CommandSecrets, INPUT_DIR, OUTPUT_DIR } from './config';
export { commandDefinition } from './definition';
export { applyPreset, COMMAND_PRESETS } from './presets';
export { FILE_EXTENSION, FILE_FORMAT, fileRoles, STDOUT_EXTENSION, STDOUT_FORMAT, STDOUT_ROLE } from './backup';

export type CommandEngine = Engine<z.input<typeof CommandConfig>, z.input<typeof CommandSecrets>, z.input<typeof CommandRestoreTarget>>;

const parse = (config: unknown, secrets: unknown) => ({
  config: parseEngineInput(CommandConfig, config, 'capture command config'),
  secrets: parseEngineInput(CommandSecrets, secrets, 'capture command secrets'),
});

async function* only(object: EngineBackupObject): AsyncGenerator<EngineBackupObject> {
  yield object;
}

async function* one(input: FileInput): AsyncGenerator<FileInput> {
  yield input;
}

/**
 * The capture command engine: a program an admin chose, run on a worker without a shell (argv only, the allow-listed
 * environment plus the source's variables, its own process group, a timeout). Output `stdout` is one object (role
 * `data`); output `files` is one object per regular file written into `{outputDir}` (`backupObjects`). Restores run
 * the source's `restoreArgv`, or are downloads (mode `download`, refused here: nothing runs).
 */
export const commandEngine: CommandEngine = {
  ...commandDefinition,

  async checkRestoreTarget(config, secrets, target, options) {
    const parsed = parse(config, secrets);
    parseEngineInput(CommandRestoreTarget, target, 'capture command restore target');
    // Nothing is resolved here: this runs in the web process, and the programs live on the workers.
    assertRestorable(parsed.config, options?.mode);
  },

  /**
   * Never runs the command (it may change things, and takes its time): checks the settings and says where the program
   * is on this machine. A program missing here is only a warning: the probe runs in the web process, the command on
   * the workers.
   */
  async probe(config, secrets): Promise<EngineProbeResult> {
    const parsed = parse(config, secrets);
    const programs = [parsed.config.argv, parsed.config.checkArgv, parsed.config.restoreArgv].filter((a) => a !== undefined).map((a) => a[0]!);
    const found: string[] = [];
    const missing: string[] = [];
    for (const program of [...new Set(programs)]) {
      await resolveProgram(program).then(
        (at) => found.push(at),
        () => missing.push(program),
      );
    }
    const notes = [
      'the command is not run by the probe',
      ...(found.length > 0 ? [`found ${found.join(', ')}`] : []),
      ...(missing.length > 0 ? [`not found on this server: ${missing.join(', ')} (the workers must have it)`] : []),
    ];
    return { ok: true, message: notes.join('; ') };
  },

  backup(config, secrets, options) {
    const parsed = parse(config, secrets);
    if (parsed.config.output === 'files') {
      throw new EngineError('INVALID_CONFIG', 'output "files" makes one object per file: back it up with backupObjects');
    }
    return backupStdout(parsed.config, parsed.secrets, options);
  },

  backupObjects(config, secrets, options) {
    const parsed = parse(config, secrets);
    if (parsed.config.output === 'files') return backupFiles(parsed.config, parsed.secrets, options);
    return only({ role: STDOUT_ROLE, extension: STDOUT_EXTENSION, backup: (more) => backupStdout(parsed.config, parsed.secrets, { ...options, ...more }) });
  },

  restoreObjects(config, target, objects) {
    const parsed = parseEngineInput(CommandConfig, config, 'capture command config');
    parseEngineInput(CommandRestoreTarget, target, 'capture command restore target');
    return restoreRoles(parsed, objects);
  },

  async restore(config, secrets, input: Readable, target, options: EngineRestoreOptions = {}) {
    let parsed;
    try {
      parsed = parse(config, secrets);
      parseEngineInput(CommandRestoreTarget, target, 'capture command restore target');
      assertRestorable(parsed.config, options.mode);
    } catch (err) {
      input.destroy();
      throw err;
    }
    const restorable = parsed.config as CommandConfig & { restoreArgv: string[] };
    if (restorable.output === 'stdout') return restoreFromStdin(restorable, parsed.secrets, input, options);
    // A files capture of a single file: the caller restores its one object through here.
    const object = options.object ?? { role: STDOUT_ROLE, details: {} };
    return restoreFiles(restorable, parsed.secrets, one({ role: object.role, details: object.details, input }), options);
  },

  async restoreSet(config, secrets, inputs, target, options = {}) {
    const parsed = parse(config, secrets);
    parseEngineInput(CommandRestoreTarget, target, 'capture command restore target');
    assertRestorable(parsed.config, options.mode);
    const restorable = parsed.config as CommandConfig & { restoreArgv: string[] };
    if (restorable.output === 'files') return restoreFiles(restorable, parsed.secrets, inputs, options);
    // Stdout captures are one object (restoreObjects chooses only it): a set of one is that object.
    const it = inputs[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done) throw new EngineError('EMPTY_OUTPUT', 'no objects to restore');
    try {
      return await restoreFromStdin(restorable, parsed.secrets, first.value.input, options);
    } finally {
      await it.return?.();
    }
  },
};
