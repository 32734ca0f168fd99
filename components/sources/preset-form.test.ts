import { describe, expect, it } from 'vitest';

import type { EngineFormField, EngineInfo } from '@/components/api/types';
import { fillPresetConfig, presetParameterIssue, presetParameterValues } from '@/lib/command-presets';
import { valuesToJson } from './engine-form';
import { presetFormValues } from './preset-form';

// The capture command engine's form, as GET /api/v1/engines sends it (components/ may not import the engine itself).
const fields: EngineFormField[] = [
  { name: 'argv', label: 'Command', type: 'text', required: true },
  { name: 'output', label: 'What to keep', type: 'select', default: 'stdout', options: [{ value: 'stdout', label: 'stdout' }, { value: 'files', label: 'files' }] },
  { name: 'env', label: 'Environment', type: 'text' },
  { name: 'secretEnv', label: 'Secret environment', type: 'password' },
  { name: 'cwd', label: 'Working directory', type: 'text' },
  { name: 'timeoutSeconds', label: 'Timeout (seconds)', type: 'number', default: 3600, narrow: true },
  { name: 'checkArgv', label: 'Check command', type: 'text' },
];

type Preset = NonNullable<EngineInfo['presets']>[number];
const kubectl: Preset = {
  id: 'kubectl-namespace',
  label: 'Kubernetes namespace',
  description: 'd',
  parameters: [
    { name: 'namespace', label: 'Namespace', required: true, pattern: '^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    { name: 'kinds', label: 'Kinds', default: 'all,configmap', pattern: '^[a-z0-9][a-z0-9.-]*(,[a-z0-9][a-z0-9.-]*)*$' },
    { name: 'kubeconfig', label: 'Kubeconfig file', pattern: '^/[^\\u0000-\\u001f\\u007f]*$' },
  ],
  config: { argv: ['kubectl', 'get', '{param.kinds}', '-n', '{param.namespace}', '-o', 'yaml'], env: { KUBECONFIG: '{param.kubeconfig}', TF: '1' }, output: 'stdout', timeoutSeconds: 600 },
};
const terraform: Preset = {
  id: 'terraform-state',
  label: 'Terraform state',
  description: 'd',
  parameters: [{ name: 'dir', label: 'Working directory', required: true, pattern: '^/[^\\u0000-\\u001f\\u007f]*$' }],
  config: { argv: ['terraform', '-chdir={param.dir}', 'state', 'pull'], env: { TF_IN_AUTOMATION: '1' }, output: 'stdout', timeoutSeconds: 600 },
};
const apply = (p: Preset, values: Record<string, string>) => fillPresetConfig(p.config, presetParameterValues(p.parameters, values));

describe('applying a preset in the new-source form', () => {
  it('fills argv one argument per line and env as NAME=value lines, with the defaults of parameters not given', () => {
    const values = presetFormValues(fields, apply(kubectl, { namespace: 'production', kubeconfig: '/etc/lifeboat/kubeconfig' }), { secretEnv: '{"T":"x"}', cwd: '/stale', checkArgv: 'x' });
    expect(values).toEqual({
      argv: 'kubectl\nget\nall,configmap\n-n\nproduction\n-o\nyaml',
      output: 'stdout',
      env: 'KUBECONFIG=/etc/lifeboat/kubeconfig\nTF=1',
      // A typed secret is kept; fields the preset does not name go back to their defaults.
      secretEnv: '{"T":"x"}',
      cwd: '',
      timeoutSeconds: '600',
      checkArgv: '',
    });
    // What the form then sends: the text shapes the command config schema reads (lists per line, NAME=value lines).
    expect(valuesToJson(fields, values)).toEqual({
      argv: 'kubectl\nget\nall,configmap\n-n\nproduction\n-o\nyaml',
      output: 'stdout',
      env: 'KUBECONFIG=/etc/lifeboat/kubeconfig\nTF=1',
      secretEnv: '{"T":"x"}',
      timeoutSeconds: 600,
    });
  });

  it('drops an env entry left empty, and substitutes inside an argument', () => {
    expect(presetFormValues(fields, apply(kubectl, { namespace: 'default' }), {}).env).toBe('TF=1');
    const values = presetFormValues(fields, apply(terraform, { dir: ' /srv/infra ' }), {});
    expect(values.argv).toBe('terraform\n-chdir=/srv/infra\nstate\npull');
    expect(values.env).toBe('TF_IN_AUTOMATION=1');
  });

  it('says what is wrong with a parameter: required, and not matching its pattern', () => {
    const dir = terraform.parameters[0]!;
    expect(presetParameterIssue(dir, '')).toBe('Working directory is required');
    expect(presetParameterIssue(dir, 'relative/path')).toBe('Working directory "relative/path" is not valid');
    expect(presetParameterIssue(dir, '/srv/infra')).toBeNull();
    expect(presetParameterIssue(kubectl.parameters[2]!, '')).toBeNull();
  });
});
