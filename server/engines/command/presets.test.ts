/**
 * The presets make exactly the runbooks' commands (../shared/seeds: backup-configuration.sh, backup-k8s-cluster.sh,
 * backup-etcd.sh, the Vault snapshot), one argv each, parsed by the engine's own config schema. The tools (kubectl,
 * helm, argocd, etcdctl, vault, terraform) are not installed here: the argv is what is checked.
 */
import { describe, expect, it } from 'vitest';

import { engineInfo } from '../engine-info';
import { applyPreset, COMMAND_PRESETS, commandEngine, CommandConfig } from './index';

const argvOf = (id: string, values: Record<string, string> = {}) => CommandConfig.parse(applyPreset(id, values));

describe('capture command presets', () => {
  it('kubectl: the objects of one namespace, and the cluster-wide kinds', () => {
    expect(argvOf('kubectl-namespace', { namespace: 'iac-dharma', kinds: 'deployment,statefulset,service,configmap,secret,pvc,ingress' })).toMatchObject({
      argv: ['kubectl', 'get', 'deployment,statefulset,service,configmap,secret,pvc,ingress', '-n', 'iac-dharma', '-o', 'yaml'],
      env: {},
      output: 'stdout',
    });
    expect(argvOf('kubectl-namespace', { namespace: 'production' }).argv).toEqual([
      'kubectl',
      'get',
      'all,configmap,secret,persistentvolumeclaim,ingress,networkpolicy,role,rolebinding,serviceaccount',
      '-n',
      'production',
      '-o',
      'yaml',
    ]);
    expect(argvOf('kubectl-namespace', { namespace: 'production', kubeconfig: '/etc/lifeboat/kubeconfig' }).env).toEqual({ KUBECONFIG: '/etc/lifeboat/kubeconfig' });
    expect(argvOf('kubectl-cluster', { kinds: 'crd,clusterrole,clusterrolebinding' }).argv).toEqual(['kubectl', 'get', 'crd,clusterrole,clusterrolebinding', '-o', 'yaml']);
  });

  it('helm: the release list, and one release\'s values and manifest', () => {
    expect(argvOf('helm-list').argv).toEqual(['helm', 'list', '-A', '-o', 'yaml']);
    expect(argvOf('helm-values', { release: 'ingress-nginx', namespace: 'ingress' }).argv).toEqual(['helm', 'get', 'values', 'ingress-nginx', '-n', 'ingress']);
    expect(argvOf('helm-manifest', { release: 'ingress-nginx', namespace: 'ingress' }).argv).toEqual(['helm', 'get', 'manifest', 'ingress-nginx', '-n', 'ingress']);
  });

  it('Argo CD: the applications (token as a secret variable) and the projects', () => {
    expect(argvOf('argocd-apps', { server: 'argocd.internal:443' })).toMatchObject({ argv: ['argocd', 'app', 'list', '-o', 'yaml'], env: { ARGOCD_SERVER: 'argocd.internal:443' } });
    expect(argvOf('argocd-apps').env).toEqual({});
    expect(COMMAND_PRESETS.find((p) => p.id === 'argocd-apps')?.secretEnv).toEqual(['ARGOCD_AUTH_TOKEN']);
    expect(argvOf('argocd-projects').argv).toEqual(['kubectl', 'get', 'appprojects', '-n', 'argocd', '-o', 'yaml']);
  });

  it('etcd: a snapshot file in {outputDir}, checked with etcdctl snapshot status', () => {
    expect(argvOf('etcd-snapshot')).toMatchObject({
      argv: [
        'etcdctl',
        'snapshot',
        'save',
        '{outputDir}/etcd.db',
        '--endpoints=https://127.0.0.1:2379',
        '--cacert=/etc/kubernetes/pki/etcd/ca.crt',
        '--cert=/etc/kubernetes/pki/etcd/server.crt',
        '--key=/etc/kubernetes/pki/etcd/server.key',
      ],
      env: { ETCDCTL_API: '3' },
      output: 'files',
      checkArgv: ['etcdctl', 'snapshot', 'status', '{outputDir}/etcd.db'],
    });
  });

  it('Vault: a Raft snapshot file in {outputDir}, VAULT_TOKEN as a secret variable', () => {
    expect(argvOf('vault-raft-snapshot', { address: 'https://vault.internal:8200' })).toMatchObject({
      argv: ['vault', 'operator', 'raft', 'snapshot', 'save', '{outputDir}/vault.snap'],
      env: { VAULT_ADDR: 'https://vault.internal:8200' },
      output: 'files',
    });
    expect(COMMAND_PRESETS.find((p) => p.id === 'vault-raft-snapshot')?.secretEnv).toEqual(['VAULT_TOKEN']);
  });

  it('Terraform: terraform state pull of a working directory', () => {
    expect(argvOf('terraform-state', { dir: '/srv/infra/production' }).argv).toEqual(['terraform', '-chdir=/srv/infra/production', 'state', 'pull']);
  });

  it('refuses a missing required value, a value that is not a name or path (no option smuggling), an unknown parameter or preset', () => {
    expect(() => applyPreset('kubectl-namespace')).toThrow(/Namespace is required/);
    for (const namespace of ['-A', '--all-namespaces', 'prod ns', 'Prod', 'a;b', '$(id)']) {
      expect(() => applyPreset('kubectl-namespace', { namespace }), namespace).toThrow(/is not valid/);
    }
    expect(() => applyPreset('terraform-state', { dir: '-destroy' })).toThrow(/is not valid/);
    expect(() => applyPreset('etcd-snapshot', { endpoints: 'https://a:2379 --insecure-skip-tls-verify' })).toThrow(/is not valid/);
    expect(() => applyPreset('helm-values', { release: 'x', namespace: 'y', chart: 'z' })).toThrow(/no parameter "chart"/);
    expect(() => applyPreset('rm-rf')).toThrow(/unknown preset/);
  });

  it('every preset makes a config the engine accepts, and is served to the dashboard as plain JSON', () => {
    for (const preset of COMMAND_PRESETS) {
      // A required value's placeholder is an example the form shows: it must be a valid one.
      const values = Object.fromEntries(preset.parameters.filter((p) => p.required).map((p) => [p.name, p.placeholder ?? '']));
      const config = applyPreset(preset.id, values);
      expect(CommandConfig.safeParse(config).success, preset.id).toBe(true);
      for (const p of preset.parameters) expect(() => new RegExp(p.pattern), `${preset.id}.${p.name}`).not.toThrow();
    }
    expect(engineInfo(commandEngine).presets).toEqual(JSON.parse(JSON.stringify(COMMAND_PRESETS)));
  });
});
