import { can, type Actor } from '@/server/auth/permissions';
import type { RunDto } from './run-dto';

/**
 * A run as `actor` may read it. A restore's result may hold the password of what it made (a scratch Redis loaded
 * with production data): reaching that data is reading the backup, so only those who may request restores (and so
 * download points) see it; everyone else with run:read gets `password: null` and `passwordHidden: true`.
 */
export function runForReader<T extends Pick<RunDto, 'result'>>(actor: Actor, run: T): T {
  const result = run.result;
  if (result === null || typeof result !== 'object' || Array.isArray(result) || !('password' in result)) return run;
  if (can(actor, 'restore:request')) return run;
  return { ...run, result: { ...result, password: null, passwordHidden: true } };
}
