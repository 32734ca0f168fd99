import type { z } from 'zod';

import type { EngineDefinition } from '../engine';
import type { EnginePreset } from '../engine-info';

import { STDOUT_EXTENSION } from './backup';
import { CommandConfig, CommandOutput, CommandRestoreTarget, CommandSecrets, DEFAULT_TIMEOUT_SECONDS, INPUT_DIR, MAX_TIMEOUT_SECONDS, OUTPUT_DIR } from './config';
import { COMMAND_PRESETS } from './presets';

const LIST_HELP = 'One argument per line (or a JSON array); no shell reads it, so ; | $( ) * and leading dashes reach the program literally.';

/** Everything about the `command` kind that is not moving bytes (see `EngineDefinition`). */
export const commandDefinition = {
  kind: 'command',
  label: 'Capture command',
  description:
    'A worker runs a program of an admin\'s choosing (kubectl, helm, etcdctl, vault, terraform …) without a shell and keeps what it prints, or the files it writes.',
  configSchema: CommandConfig,
  secretsSchema: CommandSecrets,
  restoreTargetSchema: CommandRestoreTarget,
  examples: {
    config: { argv: ['kubectl', 'get', 'all,configmap,secret', '-n', 'production', '-o', 'yaml'], env: { KUBECONFIG: '/etc/lifeboat/kubeconfig' }, output: 'stdout', timeoutSeconds: 600 },
    secrets: { secretEnv: { EXAMPLE_TOKEN: 'example-only' } },
    restoreTarget: {},
  },
  artifact: {
    extension: STDOUT_EXTENSION,
    // The bytes are the tool's own output, unchanged: decoding them is the whole restore.
    restoreHint: ({ decode }) => `${decode} > RESTORED_FILE`,
  },
  form: [
    {
      name: 'argv',
      label: 'Command',
      type: 'text',
      multiline: true,
      required: true,
      placeholder: '["kubectl","get","all","-n","production","-o","yaml"]',
      help: `${LIST_HELP} The program is an absolute path or a name on the worker's PATH. ${OUTPUT_DIR} is a private empty directory (where "files" output goes, and the working directory unless one is set).`,
    },
    {
      name: 'output',
      label: 'What to keep',
      type: 'select',
      default: 'stdout',
      options: CommandOutput.options.map((value) => ({ value, label: value === 'stdout' ? 'What it prints (stdout)' : `The files it writes into ${OUTPUT_DIR}` })),
    },
    {
      name: 'env',
      label: 'Environment',
      type: 'text',
      multiline: true,
      placeholder: 'KUBECONFIG=/etc/lifeboat/kubeconfig',
      help: 'Variables as NAME=value lines (or JSON {"NAME":"value"}), on top of PATH, HOME, TMPDIR and the locale. Stored and shown in clear: tokens go in the secret environment.',
    },
    {
      name: 'secretEnv',
      label: 'Secret environment',
      type: 'password',
      placeholder: '{"VAULT_TOKEN":"…"}',
      help: 'Variables as JSON {"NAME":"value"}, stored encrypted and given only to the command (never its arguments, the logs or the audit trail; redacted from its error output).',
    },
    { name: 'cwd', label: 'Working directory', type: 'text', placeholder: OUTPUT_DIR, help: `An absolute path on the worker; empty: ${OUTPUT_DIR}.` },
    { name: 'timeoutSeconds', label: 'Timeout (seconds)', type: 'number', default: DEFAULT_TIMEOUT_SECONDS, narrow: true, help: `Stopped (with everything it started) after this; at most ${MAX_TIMEOUT_SECONDS}.` },
    {
      name: 'checkArgv',
      label: 'Check command',
      type: 'text',
      multiline: true,
      placeholder: `["etcdctl","snapshot","status","${OUTPUT_DIR}/etcd.db"]`,
      help: `Optional, for "files" output. Runs after the capture, on ${OUTPUT_DIR}; the backup fails unless it exits 0. ${LIST_HELP}`,
    },
    {
      name: 'restoreArgv',
      label: 'Restore command',
      type: 'text',
      multiline: true,
      placeholder: '["kubectl","apply","-f","-"]',
      help: `Optional. Reads the captured output on its stdin, or the captured files in ${INPUT_DIR}. Without one, restoring means downloading the objects. ${LIST_HELP}`,
    },
  ],
  // No target to choose: the restore command is the source's, set by an admin.
  restoreForm: [],
  // A command's output is whole: there is nothing an incremental could be relative to.
  backupTypes: ['full'],
  restoreModes: [
    {
      mode: 'command',
      label: 'Run the restore command',
      destructive: false,
      help: `Runs the source's restore command on a worker, with the captured output on its stdin or the files in ${INPUT_DIR}. What it changes is up to that command (an admin wrote it); Lifeboat cannot undo it.`,
    },
    {
      mode: 'download',
      label: 'Download the objects',
      destructive: false,
      help: 'Nothing runs: download the recovery point\'s objects and restore them by hand (docs/ENGINES.md, "Capture commands").',
    },
  ],
  // It runs a program of the creator's choosing on every worker, as the worker's user.
  creatorRole: 'ADMIN',
  presets: COMMAND_PRESETS,
} as const satisfies EngineDefinition<z.input<typeof CommandConfig>, z.input<typeof CommandSecrets>, z.input<typeof CommandRestoreTarget>> & {
  presets: readonly EnginePreset[];
};
