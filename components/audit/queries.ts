'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '@/components/api/client';
import type { Items } from '@/components/api/types';
import { listPath, type AuditFilterDraft } from './filters';
import type { AuditEvent, AuditVerifyReport } from './types';

// One screen of events; the list asks for one more to know whether an older page exists.
export const AUDIT_PAGE_SIZE = 50;

export const auditKeys = {
  list: (f: AuditFilterDraft, before: string | null) => ['audit', 'list', f, before] as const,
  verify: ['audit', 'verify'] as const,
};

/** One page of events, newest first, `before` an event id (exclusive); `hasOlder` when more lie past it. */
export function useAuditEvents(f: AuditFilterDraft, before: string | null) {
  return useQuery({
    queryKey: auditKeys.list(f, before),
    queryFn: async ({ signal }) => {
      const items = (await api<Items<AuditEvent>>(listPath(f, before, AUDIT_PAGE_SIZE + 1), { signal })).items;
      return { events: items.slice(0, AUDIT_PAGE_SIZE), hasOlder: items.length > AUDIT_PAGE_SIZE };
    },
    // Typing a filter keeps the last page on screen until the new one arrives, instead of flashing "Loading…".
    placeholderData: keepPreviousData,
  });
}

/**
 * The chain's verification: it reads every event, so it runs when asked ("Verify now"), never on its own; the
 * answer stays for the session so coming back to the page shows it with its time.
 */
export function useAuditVerify() {
  return useQuery({
    queryKey: auditKeys.verify,
    queryFn: ({ signal }) => api<AuditVerifyReport>('/audit/verify', { signal }),
    enabled: false,
    staleTime: Infinity,
    gcTime: Infinity,
    retry: false,
  });
}
