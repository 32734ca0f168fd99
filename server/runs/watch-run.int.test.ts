/**
 * Live progress streams (GET /runs/{id}/events) over the real Redis: every viewer of a run gets the current state
 * and then each published event, viewers share one subscriber connection, and the stream ends at a terminal status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';

import type { Actor } from '@/server/auth/permissions';
import { db, disconnectDb } from '@/server/shared/db';
import { redisConnection } from '@/server/shared/redis';
import { uniqueName } from '@/server/testing/pg';
import { publishProgress, type RunProgressEvent } from './progress';
import { progressHub } from './progress-hub';
import { watchRun } from './watch-run';
import { unusedDestinationPath } from '@/server/testing/paths';

const viewer: Actor = { type: 'system', id: null, label: 'watch test', role: 'VIEWER' };
let publisher: Redis;
let runId: string;

function event(status: RunProgressEvent['status'], bytesDone: number): RunProgressEvent {
  return { runId, status, phase: 'dumping', bytesDone, bytesTotal: null, rate: null, at: new Date().toISOString() };
}

/** Reads SSE `progress` events off a stream until it closes or `count` arrived. */
async function readEvents(stream: ReadableStream<Uint8Array>, count: number): Promise<{ events: RunProgressEvent[]; closed: boolean }> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const events: RunProgressEvent[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { events, closed: true };
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (block.startsWith('event: progress') && data !== undefined) events.push(JSON.parse(data) as RunProgressEvent);
    }
    if (events.length >= count) {
      reader.releaseLock();
      return { events, closed: false };
    }
  }
}

beforeAll(async () => {
  publisher = redisConnection('publisher');
  const destination = await db().destination.create({ data: { name: uniqueName('watch_dest'), kind: 'local', config: { path: unusedDestinationPath() } } });
  const source = await db().source.create({ data: { name: uniqueName('watch_src'), kind: 'postgres', config: {} } });
  const run = await db().run.create({ data: { kind: 'BACKUP', sourceId: source.id, destinationId: destination.id, status: 'RUNNING' } });
  runId = run.id;
});

afterAll(async () => {
  publisher.disconnect();
  await disconnectDb();
});

describe('watchRun', () => {
  it('two viewers share one subscription, both see every event, and the streams end at a terminal status', async () => {
    const channelsBefore = progressHub().channelCount();
    const a = await watchRun({ actor: viewer }, runId, new AbortController().signal);
    const b = await watchRun({ actor: viewer }, runId, new AbortController().signal);
    // The current state comes first, read from the catalog after subscribing.
    const [firstA, firstB] = await Promise.all([readEvents(a, 1), readEvents(b, 1)]);
    expect(firstA.events[0]).toMatchObject({ runId, status: 'RUNNING' });
    expect(firstB.events[0]).toMatchObject({ runId, status: 'RUNNING' });
    expect(progressHub().channelCount()).toBe(channelsBefore + 1);

    await publishProgress(publisher, event('RUNNING', 1000));
    await publishProgress(publisher, event('SUCCEEDED', 2000));
    const [restA, restB] = await Promise.all([readEvents(a, 99), readEvents(b, 99)]);
    for (const rest of [restA, restB]) {
      expect(rest.closed).toBe(true);
      expect(rest.events.map((e) => [e.status, e.bytesDone])).toEqual([
        ['RUNNING', 1000],
        ['SUCCEEDED', 2000],
      ]);
    }
    expect(progressHub().channelCount()).toBe(channelsBefore);
  });

  it('a viewer that leaves releases the channel; the others keep receiving', async () => {
    const channelsBefore = progressHub().channelCount();
    const leaving = new AbortController();
    const a = await watchRun({ actor: viewer }, runId, leaving.signal);
    const b = await watchRun({ actor: viewer }, runId, new AbortController().signal);
    await Promise.all([readEvents(a, 1), readEvents(b, 1)]);
    leaving.abort();
    expect(progressHub().channelCount()).toBe(channelsBefore + 1);
    await publishProgress(publisher, event('RUNNING', 3000));
    expect((await readEvents(b, 1)).events[0]).toMatchObject({ bytesDone: 3000 });
    await b.cancel();
    expect(progressHub().channelCount()).toBe(channelsBefore);
  });

  it('answers 404 for an unknown run before opening anything', async () => {
    await expect(watchRun({ actor: viewer }, '00000000-0000-4000-8000-000000000000', new AbortController().signal)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
