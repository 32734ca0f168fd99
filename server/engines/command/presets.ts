/**
 * Ready-made capture commands for what the runbooks back up by hand (kubectl, helm, Argo CD, etcd, Vault, Terraform).
 * Each is plain JSON (the dashboard receives them through `GET /api/v1/engines`): a config whose strings may hold
 * `{param.<name>}`, and the parameters that fill them. A capture command runs ONE program once, without a shell, so
 * a runbook's loop ("for every namespace …", "for every release …") becomes one source per namespace or release.
 */
import { fillPresetConfig, presetParameterValues } from '@/lib/command-presets';

import { EngineError } from '../engine';
import type { EnginePreset } from '../engine-info';

import { OUTPUT_DIR } from './config';

// Kubernetes object names (DNS-1123 labels): namespaces, and Helm release names.
const DNS_LABEL = '^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
// Resource kinds for `kubectl get`, comma-separated (`all,configmap,secret`, `crd`, `appprojects.argoproj.io`).
const KINDS = '^[a-z0-9][a-z0-9.-]*(,[a-z0-9][a-z0-9.-]*)*$';
// An absolute path without control characters (never starting with "-", so no tool reads it as an option).
const ABSOLUTE_PATH = '^/[^\\u0000-\\u001f\\u007f]*$';
// etcd client URLs, comma-separated.
const URLS = '^https?://[^\\s,]+(,https?://[^\\s,]+)*$';
const URL = '^https?://[^\\s]+$';

const kubeconfig: EnginePreset['parameters'][number] = {
  name: 'kubeconfig',
  label: 'Kubeconfig file',
  placeholder: '/etc/lifeboat/kubeconfig',
  help: "Path on the worker, passed as KUBECONFIG; empty: the worker user's ~/.kube/config.",
  pattern: ABSOLUTE_PATH,
};

const ONE_PROGRAM = 'A capture command runs one program once, without a shell: it cannot loop, so make one source per';

export const COMMAND_PRESETS: readonly EnginePreset[] = [
  {
    id: 'kubectl-namespace',
    label: 'Kubernetes namespace (kubectl get -o yaml)',
    description: 'The objects of one namespace as YAML: kubectl get <kinds> -n <namespace> -o yaml.',
    help: `${ONE_PROGRAM} namespace. Secrets are captured too (base64, as the API returns them); the point is encrypted like every other. Restore by hand with kubectl apply -f (after removing status and resourceVersion), or set restoreArgv to ["kubectl","apply","-f","-"].`,
    parameters: [
      { name: 'namespace', label: 'Namespace', required: true, placeholder: 'production', pattern: DNS_LABEL },
      {
        name: 'kinds',
        label: 'Kinds',
        default: 'all,configmap,secret,persistentvolumeclaim,ingress,networkpolicy,role,rolebinding,serviceaccount',
        help: '"all" is only the workload kinds; configmaps, secrets, PVCs, ingresses and RBAC are named on their own.',
        pattern: KINDS,
      },
      kubeconfig,
    ],
    config: { argv: ['kubectl', 'get', '{param.kinds}', '-n', '{param.namespace}', '-o', 'yaml'], env: { KUBECONFIG: '{param.kubeconfig}' }, output: 'stdout', timeoutSeconds: 600 },
  },
  {
    id: 'kubectl-cluster',
    label: 'Kubernetes cluster-wide objects (kubectl get -o yaml)',
    description: 'Objects that belong to no namespace (CRDs, cluster roles and bindings, namespaces, storage classes, volumes) as YAML.',
    help: 'CRDs here are the definitions; the custom resources themselves are captured by a namespace source naming their kind.',
    parameters: [
      { name: 'kinds', label: 'Kinds', default: 'customresourcedefinition,clusterrole,clusterrolebinding,namespace,storageclass,persistentvolume', pattern: KINDS },
      kubeconfig,
    ],
    config: { argv: ['kubectl', 'get', '{param.kinds}', '-o', 'yaml'], env: { KUBECONFIG: '{param.kubeconfig}' }, output: 'stdout', timeoutSeconds: 600 },
  },
  {
    id: 'helm-list',
    label: 'Helm releases, all namespaces (helm list -A)',
    description: 'Which releases exist where, with their chart and app versions, as YAML: the list to make release sources from.',
    parameters: [kubeconfig],
    config: { argv: ['helm', 'list', '-A', '-o', 'yaml'], env: { KUBECONFIG: '{param.kubeconfig}' }, output: 'stdout', timeoutSeconds: 300 },
  },
  {
    id: 'helm-values',
    label: 'Helm release values (helm get values)',
    description: 'The values a release was installed with: helm get values <release> -n <namespace>.',
    help: `${ONE_PROGRAM} release (helm list -A shows them), and pair it with the release's manifest.`,
    parameters: [
      { name: 'release', label: 'Release', required: true, placeholder: 'ingress-nginx', pattern: DNS_LABEL },
      { name: 'namespace', label: 'Namespace', required: true, placeholder: 'ingress-nginx', pattern: DNS_LABEL },
      kubeconfig,
    ],
    config: { argv: ['helm', 'get', 'values', '{param.release}', '-n', '{param.namespace}'], env: { KUBECONFIG: '{param.kubeconfig}' }, output: 'stdout', timeoutSeconds: 300 },
  },
  {
    id: 'helm-manifest',
    label: 'Helm release manifest (helm get manifest)',
    description: 'The rendered Kubernetes objects of a release: helm get manifest <release> -n <namespace>.',
    help: `${ONE_PROGRAM} release (helm list -A shows them).`,
    parameters: [
      { name: 'release', label: 'Release', required: true, placeholder: 'ingress-nginx', pattern: DNS_LABEL },
      { name: 'namespace', label: 'Namespace', required: true, placeholder: 'ingress-nginx', pattern: DNS_LABEL },
      kubeconfig,
    ],
    config: { argv: ['helm', 'get', 'manifest', '{param.release}', '-n', '{param.namespace}'], env: { KUBECONFIG: '{param.kubeconfig}' }, output: 'stdout', timeoutSeconds: 300 },
  },
  {
    id: 'argocd-apps',
    label: 'Argo CD applications (argocd app list)',
    description: 'Every Argo CD application as YAML: argocd app list -o yaml.',
    help: 'The token (ARGOCD_AUTH_TOKEN) is a secret variable: sealed, given only to argocd. Projects are captured by the Argo CD projects preset.',
    parameters: [{ name: 'server', label: 'Argo CD server', placeholder: 'argocd.example.com:443', help: 'Passed as ARGOCD_SERVER; empty: the worker user\'s argocd login.', pattern: '^[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?$' }],
    config: { argv: ['argocd', 'app', 'list', '-o', 'yaml'], env: { ARGOCD_SERVER: '{param.server}' }, output: 'stdout', timeoutSeconds: 300 },
    secretEnv: ['ARGOCD_AUTH_TOKEN'],
  },
  {
    id: 'argocd-projects',
    label: 'Argo CD projects (kubectl get appprojects)',
    description: 'The AppProject objects of Argo CD as YAML: kubectl get appprojects -n <namespace> -o yaml.',
    parameters: [{ name: 'namespace', label: 'Argo CD namespace', default: 'argocd', pattern: DNS_LABEL }, kubeconfig],
    config: { argv: ['kubectl', 'get', 'appprojects', '-n', '{param.namespace}', '-o', 'yaml'], env: { KUBECONFIG: '{param.kubeconfig}' }, output: 'stdout', timeoutSeconds: 300 },
  },
  {
    id: 'etcd-snapshot',
    label: 'etcd snapshot (etcdctl snapshot save)',
    description: 'A consistent snapshot of an etcd member (a self-managed Kubernetes control plane), checked with etcdctl snapshot status.',
    help: 'Runs on a worker that can reach the member with its client certificates. Restoring (etcdctl snapshot restore into a new data directory, then restarting the control plane) is a cluster operation: download the snapshot instead of setting a restore command.',
    parameters: [
      { name: 'endpoints', label: 'Endpoints', default: 'https://127.0.0.1:2379', pattern: URLS },
      { name: 'cacert', label: 'CA certificate', default: '/etc/kubernetes/pki/etcd/ca.crt', pattern: ABSOLUTE_PATH },
      { name: 'cert', label: 'Client certificate', default: '/etc/kubernetes/pki/etcd/server.crt', pattern: ABSOLUTE_PATH },
      { name: 'key', label: 'Client key', default: '/etc/kubernetes/pki/etcd/server.key', pattern: ABSOLUTE_PATH },
    ],
    config: {
      argv: ['etcdctl', 'snapshot', 'save', `${OUTPUT_DIR}/etcd.db`, '--endpoints={param.endpoints}', '--cacert={param.cacert}', '--cert={param.cert}', '--key={param.key}'],
      env: { ETCDCTL_API: '3' },
      output: 'files',
      checkArgv: ['etcdctl', 'snapshot', 'status', `${OUTPUT_DIR}/etcd.db`],
      timeoutSeconds: 1800,
    },
  },
  {
    id: 'vault-raft-snapshot',
    label: 'Vault Raft snapshot (vault operator raft snapshot save)',
    description: 'A snapshot of Vault\'s integrated (Raft) storage: vault operator raft snapshot save.',
    help: 'VAULT_TOKEN is a secret variable (a token whose policy allows sys/storage/raft/snapshot). Restoring replaces the cluster\'s data (vault operator raft snapshot restore): download the snapshot and run it by hand.',
    parameters: [{ name: 'address', label: 'Vault address', required: true, placeholder: 'https://vault.internal:8200', pattern: URL }],
    config: { argv: ['vault', 'operator', 'raft', 'snapshot', 'save', `${OUTPUT_DIR}/vault.snap`], env: { VAULT_ADDR: '{param.address}' }, output: 'files', timeoutSeconds: 1800 },
    secretEnv: ['VAULT_TOKEN'],
  },
  {
    id: 'terraform-state',
    label: 'Terraform state (terraform state pull)',
    description: 'The current state of a Terraform working directory\'s backend, as JSON: terraform -chdir=<dir> state pull.',
    help: 'The directory must be initialised (terraform init) on the worker. Backend credentials (e.g. AWS_SECRET_ACCESS_KEY) go in the secret variables. terraform state push - restores it (it refuses an older serial), if you set it as the restore command.',
    parameters: [{ name: 'dir', label: 'Working directory', required: true, placeholder: '/srv/infra/production', pattern: ABSOLUTE_PATH }],
    config: { argv: ['terraform', '-chdir={param.dir}', 'state', 'pull'], env: { TF_IN_AUTOMATION: '1' }, output: 'stdout', timeoutSeconds: 600 },
  },
];

/**
 * The config a preset makes with these parameter values (defaults for those not given): every `{param.<name>}`
 * replaced, `env` entries left empty dropped. Refuses (INVALID_CONFIG) an unknown preset or parameter, a missing
 * required value and a value that does not match its pattern. The result is then parsed by the engine's config
 * schema like any other.
 */
export function applyPreset(id: string, values: Readonly<Record<string, string>> = {}): Record<string, unknown> {
  const preset = COMMAND_PRESETS.find((p) => p.id === id);
  if (preset === undefined) throw new EngineError('INVALID_CONFIG', `unknown preset ${JSON.stringify(id)}; known: ${COMMAND_PRESETS.map((p) => p.id).join(', ')}`);
  const known = new Set(preset.parameters.map((p) => p.name));
  for (const name of Object.keys(values)) {
    if (!known.has(name)) throw new EngineError('INVALID_CONFIG', `preset ${id} has no parameter ${JSON.stringify(name)}`);
  }
  const filled = presetParameterValues(preset.parameters, values);
  for (const p of preset.parameters) {
    const value = filled.get(p.name) ?? '';
    if (value === '' && p.required) throw new EngineError('INVALID_CONFIG', `preset ${id}: ${p.label} is required`);
    if (value !== '' && !new RegExp(p.pattern).test(value)) throw new EngineError('INVALID_CONFIG', `preset ${id}: ${p.label} ${JSON.stringify(value)} is not valid`);
  }
  return fillPresetConfig(preset.config, filled);
}
