import type { Redis } from 'ioredis';
import { logger } from '@/server/shared/logger';
import { redisConnection } from '@/server/shared/redis';
import { parseProgress, progressChannel, type RunProgressEvent } from './progress';

type Listener = (event: RunProgressEvent) => void;

/**
 * One Redis subscriber per web process, shared by every open progress stream: a channel is subscribed while at least
 * one browser watches that run and unsubscribed when the last one leaves. (A connection per viewer would cost Redis a
 * client per open tab.) ioredis re-subscribes every channel by itself after a reconnect.
 */
class ProgressHub {
  private sub: Redis | undefined;
  private readonly listeners = new Map<string, Set<Listener>>();

  /** Calls `listener` with each event published for `runId` once the subscription is in place; returns the unsubscribe. */
  async listen(runId: string, listener: Listener): Promise<() => void> {
    const channel = progressChannel(runId);
    const sub = this.connection();
    let set = this.listeners.get(channel);
    const first = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    // Awaited by every listener, not only the first: SUBSCRIBE replies in order, so once ours is back the channel is live.
    await sub.subscribe(channel).catch((err: unknown) => {
      this.remove(channel, listener);
      throw err;
    });
    if (first) logger.debug({ channel }, 'progress hub: subscribed');
    return () => this.remove(channel, listener);
  }

  private remove(channel: string, listener: Listener): void {
    const set = this.listeners.get(channel);
    if (set === undefined || !set.delete(listener) || set.size > 0) return;
    this.listeners.delete(channel);
    // Fire and forget: a failed UNSUBSCRIBE only leaves a channel nobody listens to until the next reconnect.
    void this.sub?.unsubscribe(channel).catch((err: unknown) => logger.warn({ err, channel }, 'progress hub: unsubscribe failed'));
  }

  private connection(): Redis {
    if (this.sub !== undefined) return this.sub;
    const sub = redisConnection('subscriber');
    sub.on('message', (channel: string, message: string) => {
      const set = this.listeners.get(channel);
      if (set === undefined) return;
      const event = parseProgress(message);
      if (event === null) return;
      // A copy: a listener that unsubscribes while being called must not disturb the others.
      for (const listener of [...set]) listener(event);
    });
    sub.on('error', (err: unknown) => logger.warn({ err }, 'progress hub: redis error (reconnecting)'));
    this.sub = sub;
    return sub;
  }

  /** Number of channels currently subscribed; for tests. */
  channelCount(): number {
    return this.listeners.size;
  }
}

// On globalThis so that Next's dev-mode module reloading does not open a new connection per reload.
const holder = globalThis as typeof globalThis & { __lifeboatProgressHub?: ProgressHub };
export function progressHub(): ProgressHub {
  holder.__lifeboatProgressHub ??= new ProgressHub();
  return holder.__lifeboatProgressHub;
}
