'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/components/api/client';
import type { Items } from '@/components/api/types';
import type { RestoreRequest, RestoreRequestStatus } from './types';

// Requesters watch their requests' state and approvers their inbox: a few seconds is "live" for a decision someone
// else makes by hand, and one small read per page every 5 s is nothing for the API.
export const REQUESTS_REFRESH_MS = 5_000;
// The navigation's badge and the break-glass banner are on every page: a little slower.
export const BADGE_REFRESH_MS = 10_000;
// The API's page maximum (ListRestoreRequestsInput): the badge counts within it; the banner asks the API for exactly
// its requests, so one page of them is more unacknowledged break-glass restores than anyone reads in a banner.
const LIST_MAX = 500;

export interface RequestFilter {
  status?: RestoreRequestStatus;
  mine?: boolean;
  /** `unacknowledged`: break-glass restores no approver has acknowledged yet. */
  breakGlass?: 'true' | 'false' | 'unacknowledged';
  limit?: number;
}

export const requestKeys = {
  all: ['restore-requests'] as const,
  list: (f: RequestFilter) => ['restore-requests', 'list', f] as const,
  detail: (id: string) => ['restore-requests', 'detail', id] as const,
};

function listPath(f: RequestFilter): string {
  const q = new URLSearchParams();
  if (f.status) q.set('status', f.status);
  if (f.mine) q.set('mine', 'true');
  if (f.breakGlass) q.set('breakGlass', f.breakGlass);
  if (f.limit) q.set('limit', String(f.limit));
  const s = q.toString();
  return `/restore-requests${s ? `?${s}` : ''}`;
}

export function useRestoreRequests(f: RequestFilter, { enabled = true, refetchInterval = REQUESTS_REFRESH_MS }: { enabled?: boolean; refetchInterval?: number } = {}) {
  return useQuery({
    queryKey: requestKeys.list(f),
    queryFn: ({ signal }) => api<Items<RestoreRequest>>(listPath(f), { signal }).then((r) => r.items),
    enabled,
    refetchInterval,
  });
}

export function useRestoreRequest(id: string) {
  return useQuery({
    queryKey: requestKeys.detail(id),
    queryFn: ({ signal }) => api<RestoreRequest>(`/restore-requests/${encodeURIComponent(id)}`, { signal }),
    refetchInterval: REQUESTS_REFRESH_MS,
  });
}

/** How many requests wait for approval (the navigation's badge); null while unknown. */
export function usePendingCount(enabled: boolean): number | null {
  const q = useRestoreRequests({ status: 'PENDING_APPROVAL', limit: LIST_MAX }, { enabled, refetchInterval: BADGE_REFRESH_MS });
  return q.data ? q.data.filter((r) => !r.expired).length : null;
}

/** Break-glass restores nobody has acknowledged yet (the site-wide banner), however old: the API filters them. */
export function useUnacknowledgedBreakGlass() {
  return useRestoreRequests({ breakGlass: 'unacknowledged', limit: LIST_MAX }, { refetchInterval: BADGE_REFRESH_MS });
}

export type RequestAction =
  | { kind: 'approve' | 'reject'; comment: string }
  | { kind: 'cancel' | 'execute' | 'acknowledge' }
  | { kind: 'break-glass'; reason: string };

/** One action on a request (`POST /restore-requests/{id}/<kind>`); every list and detail is read again after it. */
export function useRequestAction(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (a: RequestAction) => {
      const body =
        a.kind === 'approve' || a.kind === 'reject' ? (a.comment.trim() ? { comment: a.comment.trim() } : {}) : a.kind === 'break-glass' ? { reason: a.reason } : {};
      return api<RestoreRequest>(`/restore-requests/${encodeURIComponent(id)}/${a.kind}`, { method: 'POST', body });
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: requestKeys.all });
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
    },
  });
}
