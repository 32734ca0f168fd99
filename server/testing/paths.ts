import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/**
 * A local destination path for tests that never write through it: unique per call, so nothing a run leaves there
 * (the daily audit anchor writes to every destination) is read by another run under another master key.
 */
export const unusedDestinationPath = (): string => path.join(os.tmpdir(), `lifeboat-unused-${crypto.randomUUID()}`);
