'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/components/api/client';
import { keys } from '@/components/api/queries';
import type { Policy } from '@/components/api/types';

/**
 * `PATCH /policies/{id}` with any of its fields; refreshes the policy list and every source query (the source page
 * carries its policy, and the SLO figures follow its schedules).
 */
export function useUpdatePolicy(policyId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Record<string, unknown>) => api<Policy>(`/policies/${encodeURIComponent(policyId)}`, { method: 'PATCH', body }),
    onSuccess: async () => {
      void queryClient.invalidateQueries({ queryKey: ['sources'] });
      await queryClient.invalidateQueries({ queryKey: keys.policies });
    },
  });
}

/** `DELETE /policies/{id}`: refused (409) while sources use it. */
export function useDeletePolicy(policyId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api<{ id: string; name: string; deleted: true }>(`/policies/${encodeURIComponent(policyId)}`, { method: 'DELETE' }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: keys.policies });
    },
  });
}
