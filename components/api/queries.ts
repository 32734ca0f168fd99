'use client';

import { useQuery } from '@tanstack/react-query';
import { api } from './client';
import {
  isActive,
  type ApiToken,
  type Destination,
  type EngineInfo,
  type EncryptionKeyDto,
  type Items,
  type Policy,
  type Protection,
  type PruningPlan,
  type RecoveryPoint,
  type Run,
  type Source,
  type BackupReport,
  type RunWithTrigger,
  type SlotPage,
  type SloReport,
  type SlotState,
} from './types';

// Active runs change every second or two; 2 s keeps tables current without hammering the API.
export const ACTIVE_REFRESH_MS = 2_000;
// A runs list with nothing running: a one-minute schedule's run appears within 10 s, at one small read per 10 s.
export const IDLE_RUNS_REFRESH_MS = 10_000;

export const keys = {
  sources: ['sources'] as const,
  source: (id: string) => ['sources', id] as const,
  recoveryPoints: (sourceId: string) => ['sources', sourceId, 'recovery-points'] as const,
  protection: (sourceId: string) => ['sources', sourceId, 'protection'] as const,
  pruningPlan: (sourceId: string) => ['sources', sourceId, 'pruning-plan'] as const,
  runs: (filter: { sourceId?: string; limit?: number } = {}) => ['runs', 'list', filter] as const,
  run: (id: string) => ['runs', 'detail', id] as const,
  runLogs: (id: string) => ['runs', 'detail', id, 'logs'] as const,
  policies: ['policies'] as const,
  destinations: ['destinations'] as const,
  tokens: ['tokens'] as const,
  encryptionKeys: ['encryption-keys'] as const,
  engines: ['engines'] as const,
};

export function useSources() {
  return useQuery({
    queryKey: keys.sources,
    queryFn: ({ signal }) => api<Items<Source>>('/sources', { signal }).then((r) => r.items),
    // The "last run" column follows running backups.
    refetchInterval: (q) => (q.state.data?.some((s) => isActive(s.lastRun?.status)) ? ACTIVE_REFRESH_MS : false),
  });
}

export function useSource(id: string) {
  return useQuery({
    queryKey: keys.source(id),
    queryFn: ({ signal }) => api<Source>(`/sources/${encodeURIComponent(id)}`, { signal }),
  });
}

export function useRecoveryPoints(sourceId: string, { follow = false }: { follow?: boolean } = {}) {
  return useQuery({
    queryKey: keys.recoveryPoints(sourceId),
    queryFn: ({ signal }) => api<Items<RecoveryPoint>>(`/sources/${encodeURIComponent(sourceId)}/recovery-points`, { signal }).then((r) => r.items),
    // While a backup of this source runs, its point appears when the run finishes.
    refetchInterval: follow ? ACTIVE_REFRESH_MS : false,
  });
}

export function useProtection(sourceId: string, { follow = false }: { follow?: boolean } = {}) {
  return useQuery({
    queryKey: keys.protection(sourceId),
    queryFn: ({ signal }) => api<Protection>(`/sources/${encodeURIComponent(sourceId)}/protection`, { signal }),
    // Copies finish after the backup run; follow while anything of the source is active or a copy is pending.
    refetchInterval: follow ? ACTIVE_REFRESH_MS : false,
  });
}

/** The retention dry run: what a prune would keep, delete and move right now. Changes nothing on the server. */
export function usePruningPlan(sourceId: string) {
  return useQuery({
    queryKey: keys.pruningPlan(sourceId),
    queryFn: ({ signal }) => api<PruningPlan>(`/sources/${encodeURIComponent(sourceId)}/pruning-plan`, { signal }),
  });
}

export function usePolicies() {
  return useQuery({
    queryKey: keys.policies,
    queryFn: ({ signal }) => api<Items<Policy>>('/policies', { signal }).then((r) => r.items),
  });
}

export function useDestinations({ enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: keys.destinations,
    queryFn: ({ signal }) => api<Items<Destination>>('/destinations', { signal }).then((r) => r.items),
    enabled,
  });
}

export function useRuns(filter: { sourceId?: string; limit?: number } = {}) {
  return useQuery({
    queryKey: keys.runs(filter),
    queryFn: ({ signal }) => {
      const qs = new URLSearchParams();
      if (filter.sourceId) qs.set('sourceId', filter.sourceId);
      if (filter.limit) qs.set('limit', String(filter.limit));
      const suffix = qs.size ? `?${qs}` : '';
      return api<Items<Run>>(`/runs${suffix}`, { signal }).then((r) => r.items);
    },
    // Idle lists still refresh: a scheduled run starts with nobody pressing anything, and must show up by itself.
    refetchInterval: (q) => (q.state.data?.some((r) => isActive(r.status)) ? ACTIVE_REFRESH_MS : IDLE_RUNS_REFRESH_MS),
  });
}

export function useTokens(enabled: boolean) {
  return useQuery({
    queryKey: keys.tokens,
    queryFn: ({ signal }) => api<Items<ApiToken>>('/tokens', { signal }).then((r) => r.items),
    enabled,
  });
}

export function useEncryptionKeys(enabled: boolean) {
  return useQuery({
    queryKey: keys.encryptionKeys,
    queryFn: ({ signal }) => api<Items<EncryptionKeyDto>>('/keys', { signal }).then((r) => r.items),
    enabled,
  });
}

/** The registered engines (kinds, labels, form fields, restore modes). They change only with a deployment. */
export function useEngines() {
  return useQuery({
    queryKey: keys.engines,
    queryFn: ({ signal }) => api<Items<EngineInfo>>('/engines', { signal }).then((r) => r.items),
    staleTime: Infinity,
  });
}

// ---- Issue 8: SLOs, slots, the backup report, failed runs ----
// The SLO figures age by the second but move by the minute: a minute's refresh keeps the overview honest and cheap.
export const SLO_REFRESH_MS = 60_000;

export function useSlo() {
  return useQuery({
    queryKey: ['slo'] as const,
    queryFn: ({ signal }) => api<SloReport>('/slo', { signal }),
    refetchInterval: SLO_REFRESH_MS,
    retry: 1,
  });
}

/** A source's slots, newest first; `before` (a slot time) pages to older ones. */
export function useSlots(sourceId: string, state: SlotState | '' = '', before: string | null = null) {
  return useQuery({
    queryKey: ['sources', sourceId, 'slots', state, before] as const,
    queryFn: ({ signal }) => {
      const qs = new URLSearchParams();
      if (state) qs.set('state', state);
      if (before) qs.set('before', before);
      const suffix = qs.size ? `?${qs}` : '';
      return api<SlotPage>(`/sources/${encodeURIComponent(sourceId)}/slots${suffix}`, { signal });
    },
    retry: 1,
  });
}

export function useBackupReport(days = 30) {
  return useQuery({
    queryKey: ['reports', 'backups', days] as const,
    queryFn: ({ signal }) => api<BackupReport>(`/reports/backups?days=${days}`, { signal }),
    refetchInterval: SLO_REFRESH_MS,
  });
}

/** The newest failed runs (every kind); scheduled ones carry `trigger`. */
export function useFailedRuns(limit = 20) {
  return useQuery({
    queryKey: ['runs', 'failed', limit] as const,
    queryFn: ({ signal }) => api<Items<RunWithTrigger>>(`/runs?status=FAILED&limit=${limit}`, { signal }).then((r) => r.items),
    refetchInterval: SLO_REFRESH_MS,
  });
}

// ---- Issue 8: tiers and services ----
export const serviceKeys = {
  tiers: ['tiers'] as const,
  services: ['services'] as const,
};

export function useTiers() {
  return useQuery({
    queryKey: serviceKeys.tiers,
    queryFn: ({ signal }) => api<Items<import('./types').Tier>>('/tiers', { signal }).then((r) => r.items),
  });
}

export function useServices() {
  return useQuery({
    queryKey: serviceKeys.services,
    queryFn: ({ signal }) => api<Items<import('./types').Service>>('/services', { signal }).then((r) => r.items),
  });
}
