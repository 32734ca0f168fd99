import { readFile } from 'node:fs/promises';

/**
 * `wchar` of /proc/<pid>/io: bytes the process has written so far (to any descriptor, its stderr included). The one
 * way to see the progress of a tool whose output goes straight into another tool. Undefined when it cannot be read
 * (not Linux, or the process is gone): callers treat it as a nicety.
 */
export async function bytesWrittenBy(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const match = /^wchar:\s*(\d+)$/m.exec(await readFile(`/proc/${pid}/io`, 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * Calls `onBytes` with `bytesWrittenBy(pid)` every `intervalMs` until `until` settles; `onBytes` returning true
 * stops it early. Never rejects.
 */
export function watchBytesWritten(pid: number | undefined, intervalMs: number, until: Promise<unknown>, onBytes: (bytes: number) => boolean | void): void {
  let over = false;
  const stop = () => {
    over = true;
  };
  until.then(stop, stop);
  const tick = async (): Promise<void> => {
    if (over) return;
    const bytes = await bytesWrittenBy(pid);
    if (over) return;
    if (bytes !== undefined && onBytes(bytes) === true) return;
    setTimeout(() => void tick(), intervalMs).unref();
  };
  setTimeout(() => void tick(), intervalMs).unref();
}
