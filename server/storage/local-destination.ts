import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ConfigIssue, DestinationKind, PlacementContext } from './destination-kind';
import { createLocalDiskDriver } from './local-disk';

/**
 * Settings of a local-disk destination: an absolute directory on the worker's machine, stored normalised
 * (`/a/b/../c/` → `/a/c`) so what is checked is what is used. A relative path is refused: the web process and the
 * workers do not share a working directory.
 */
export const LocalDestinationConfig = z.object({
  path: z
    .string()
    .min(1)
    .refine((p) => path.isAbsolute(p), 'path must be absolute')
    .transform((p) => path.resolve(p)),
});
export type LocalDestinationConfig = z.infer<typeof LocalDestinationConfig>;

/**
 * Directories that belong to the operating system or to other programs. A destination may be none of them, inside
 * none of them, and contain none of them (so `/` and `/var` are refused too): backups written, listed and pruned
 * there would sit among files Lifeboat must never touch. `/var/lib` is in: it holds other programs' state
 * (databases, containers); a data directory under it still gets its own backups folder (see below).
 */
const SYSTEM_DIRECTORIES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
  '/var/lib',
  '/var/log',
  '/var/run',
];

/** Folder of the data directory where the default destination lives; the one part of it a destination may use. */
const BACKUPS_FOLDER = 'backups';

const isInside = (p: string, dir: string): boolean => p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);

/** Where `p` really leads, following symbolic links in the part of it that exists already. */
function realpathOfExisting(p: string): string {
  let existing = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(existing), ...rest);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return p;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

function judge(p: string, dataDirs: string[]): string | null {
  // The default backups folder first: it is Lifeboat's own, even when the data directory sits under /var/lib.
  if (dataDirs.some((d) => isInside(p, path.join(d, BACKUPS_FOLDER)))) return null;
  const data = dataDirs.find((d) => isInside(p, d));
  if (data) return `is inside Lifeboat's data directory ${data}; use ${path.join(data, BACKUPS_FOLDER)} or a directory outside it`;
  const system = SYSTEM_DIRECTORIES.find((d) => isInside(p, d) || isInside(d, p));
  if (system) return p === system || isInside(p, system) ? `is inside the system directory ${system}` : `contains the system directory ${system}`;
  const [, top, user, first] = p.split('/');
  if (top === 'home' && user && first?.startsWith('.')) return `is inside a hidden directory of a home (${path.join('/home', user, first)})`;
  return null;
}

/**
 * Why a (normalised, absolute) local path may not be a destination, or null when it may. The path is judged as
 * written and where its symbolic links lead, against the data directory as configured and as it really is.
 */
export function localPathProblem(p: string, ctx: PlacementContext): string | null {
  const realpath = ctx.realpath ?? realpathOfExisting;
  const dataDir = path.resolve(ctx.dataDir);
  const dataDirs = [...new Set([dataDir, realpath(dataDir)])];
  const problem = judge(p, dataDirs);
  if (problem) return `${p} ${problem}`;
  const real = realpath(p);
  const realProblem = real === p ? null : judge(real, dataDirs);
  return realProblem ? `${p} leads to ${real}, which ${realProblem}` : null;
}

export const localDestination: DestinationKind<LocalDestinationConfig> = {
  label: 'local disk',
  configSchema: LocalDestinationConfig,
  secretKeys: [],
  locationKeys: ['path'],
  placementIssues(config, ctx): ConfigIssue[] {
    const problem = localPathProblem(config.path, ctx);
    return problem ? [{ path: ['path'], message: problem }] : [];
  },
  createDriver: (config) => createLocalDiskDriver({ root: config.path }),
};
