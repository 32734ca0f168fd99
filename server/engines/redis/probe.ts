import type { EngineProbeOptions, EngineProbeResult } from '../engine';
import { parseInfo, withRedis } from './client';
import type { RedisConfig, RedisSecrets } from './config';

/** PING and `INFO server` over the network, with the source's credentials. Never throws for connection problems. */
export async function probeRedis(config: RedisConfig, secrets: RedisSecrets, options: EngineProbeOptions = {}): Promise<EngineProbeResult> {
  try {
    return await withRedis(
      { ...config, ...(secrets.password !== undefined && { password: secrets.password }) },
      async (client) => {
        await client.ping();
        const info = parseInfo(await client.info('server'));
        const version = info.get('redis_version');
        const mode = info.get('redis_mode');
        return {
          ok: true,
          ...(version !== undefined && { version: `Redis ${version}` }),
          // A cluster node's snapshot holds only its own slots: say so before the first backup.
          ...(mode === 'cluster' && { message: 'connected to a cluster node: a snapshot holds only the slots of this node' }),
        };
      },
      options.signal,
    );
  } catch (err) {
    if (options.signal?.aborted) return { ok: false, message: 'probe cancelled' };
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
