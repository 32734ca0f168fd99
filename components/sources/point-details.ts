import { formatBytes } from '@/components/ui/format';

/**
 * A line about what a recovery point captured, from its objects' `details` (what the engine recorded with the backup,
 * e.g. a Redis snapshot's `{ keys: { db0: 12 }, usedMemory }`), or null when the point carries none. Reads the
 * point DTO's `objects: [{ role, details }]` when the server sends it; a point without it shows nothing.
 */
export function pointDetailsText(point: unknown): string | null {
  const objects = (point as { objects?: unknown } | null)?.objects;
  if (!Array.isArray(objects)) return null;
  const parts: string[] = [];
  for (const object of objects as Array<{ role?: unknown; details?: unknown }>) {
    const line = detailsText(object?.details);
    if (line === null) continue;
    parts.push(objects.length > 1 && typeof object.role === 'string' ? `${object.role}: ${line}` : line);
  }
  return parts.length > 0 ? parts.join(' · ') : null;
}

function detailsText(details: unknown): string | null {
  if (details === null || typeof details !== 'object' || Array.isArray(details)) return null;
  const d = details as Record<string, unknown>;
  const out: string[] = [];
  if (d.keys !== null && typeof d.keys === 'object' && !Array.isArray(d.keys)) {
    const counts = Object.entries(d.keys as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number');
    if (counts.length > 0) out.push(counts.map(([db, n]) => `${db} ${n.toLocaleString('en-US')} ${n === 1 ? 'key' : 'keys'}`).join(', '));
    else out.push('no keys');
  }
  if (typeof d.usedMemory === 'number') out.push(`${formatBytes(d.usedMemory)} in memory`);
  return out.length > 0 ? out.join('; ') : null;
}
