import type { RetentionPolicy } from '@/server/retention/retention-policy';
import type { Policy } from '@/server/shared/generated/prisma/client';
import { describeSchedule, nextRuns, storedSchedules, type StoredSchedule } from './schedules';

/** What `toPolicyDto` needs: the policy with its primary destination's name and its copies with theirs. */
export type PolicyWithDestinations = Policy & {
  destination: { name: string };
  copies: { destinationId: string; position: number; retention: unknown; destination: { name: string } }[];
};

/** The Prisma `include` that loads a policy as `toPolicyDto` needs it. */
export const POLICY_DTO_INCLUDE = {
  destination: { select: { name: true } },
  copies: { include: { destination: { select: { name: true } } } },
} as const;

// The policy card shows three; a reader wanting more asks nextRuns itself.
const NEXT_SHOWN = 3;

/** A stored schedule with its words and its next fire times (ISO); a row croner cannot read shows no times. */
function scheduleDto(s: StoredSchedule, now: Date) {
  let next: string[] = [];
  try {
    next = nextRuns(s, now, NEXT_SHOWN).map((d) => d.toISOString());
  } catch {
    next = [];
  }
  return { ...s, window: s.window ?? null, description: describeSchedule(s), next };
}

export function toPolicyDto(p: PolicyWithDestinations, now = new Date()) {
  const copies = [...p.copies].sort((a, b) => a.position - b.position);
  return {
    id: p.id,
    name: p.name,
    destinationId: p.destinationId,
    destinationName: p.destination.name,
    copyDestinationIds: copies.map((c) => c.destinationId),
    /** Each copy destination in restore order, with its own retention (null: the copies follow their point). */
    copies: copies.map((c) => ({
      destinationId: c.destinationId,
      destinationName: c.destination.name,
      position: c.position,
      // Stored as parsed by createPolicy / setPolicyCopyRetention (time zone filled in), never as typed by a client.
      retention: (c.retention ?? null) as RetentionPolicy | null,
    })),
    compressionLevel: p.compressionLevel,
    encrypt: p.encrypt,
    /** Stored as parsed by createPolicy / setPolicyRetention; null keeps everything. */
    retention: p.retention as RetentionPolicy | null,
    /** Stored as parsed by PolicySchedules (ids assigned, backupType filled in), each with its words and next three times. */
    schedules: storedSchedules(p.schedules).map((s) => scheduleDto(s, now)),
    /** A paused policy's schedules fire nothing; their slots are recorded SKIPPED. */
    paused: p.paused,
    /** At most this many scheduled runs at once per destination; null = no limit. */
    maxConcurrentPerDestination: p.maxConcurrentPerDestination,
    createdAt: p.createdAt.toISOString(),
  };
}
export type PolicyDto = ReturnType<typeof toPolicyDto>;
