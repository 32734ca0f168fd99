/**
 * Issue 11, item 3: notifications end to end through a real worker process (workers/main.ts): a backup that fails
 * and a restore request waiting for approval each reach a webhook (signature checked) and a mailbox (a local SMTP
 * sink) exactly once, with their source and a link; a receiver that answers 500 twice gets the third attempt, and
 * one that always fails is given up on after its attempts (FAILED, with the last error in the delivery log).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { createRestoreRequest } from '@/server/approvals';
import { cleanupAll, person, restorableSource, sessionOf } from '@/server/approvals/test-fixtures';
import { createSource } from '@/server/inventory/create-source';
import { closeProducer } from '@/server/jobs/producer';
import { createChannel } from '@/server/notifications/create-channel';
import { startHttpReceiver, startSmtpSink, type HttpReceiver, type SmtpSink } from '@/server/notifications/testing/receivers';
import { requestBackup } from '@/server/runs/request-backup';
import { db, disconnectDb } from '@/server/shared/db';
import { connectionParts, uniqueName } from '@/server/testing/pg';
import { spawnWorker, type SpawnedWorker } from './testing/spawn-worker';

process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-notify');
const PUBLIC_URL = 'https://lifeboat.example.test';
// A scan every 200 ms and retries 100 ms × 2^n apart, so the whole file takes seconds; sweeps every second.
const FAST = {
  LIFEBOAT_QUEUE_PREFIX: process.env.LIFEBOAT_QUEUE_PREFIX,
  LIFEBOAT_HEARTBEAT_MS: '1000',
  LIFEBOAT_RUN_STALE_SECONDS: '4',
  LIFEBOAT_SWEEP_MS: '1000',
  LIFEBOAT_RUN_RETRY_BACKOFF_MS: '500',
  LIFEBOAT_NOTIFY_SCAN_MS: '200',
  LIFEBOAT_NOTIFY_BACKOFF_MS: '100',
  LIFEBOAT_PUBLIC_URL: PUBLIC_URL,
};

const admin: Actor = { type: 'system', id: null, label: 'notifications test', role: 'ADMIN' };
const operatorActor: Actor = { type: 'system', id: null, label: 'notifications test', role: 'OPERATOR' };
let worker: SpawnedWorker | undefined;
let hook: HttpReceiver;
let flaky: HttpReceiver;
let broken: HttpReceiver;
let sink: SmtpSink;
let backupsDir: string;
let policyId: string;
const channels: Record<'hook' | 'mail' | 'flaky' | 'broken', string> = { hook: '', mail: '', flaky: '', broken: '' };

/** Polls `read` until `done` holds (or fails the test with what the worker logged). */
async function until<T>(what: string, read: () => Promise<T> | T, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}\n${worker?.output().slice(-4000) ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
/** Some more scans' worth of time, so a second (duplicate) message would have arrived by now. */
const settle = () => new Promise((r) => setTimeout(r, 2_000));

beforeAll(async () => {
  hook = await startHttpReceiver();
  // 500 to the first two requests carrying each event, then 200: per event, since other files' events reach the
  // same catalog (and so this channel) too.
  const seen = new Map<string, number>();
  flaky = await startHttpReceiver((_n, req) => {
    const id = String(req.json?.id ?? '');
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return { status: n <= 2 ? 500 : 200 };
  });
  broken = await startHttpReceiver(() => ({ status: 500, body: 'receiver is down' }));
  sink = await startSmtpSink();
  const allowCidrs = ['127.0.0.1/32'];
  const events = ['backup.failed', 'restore.requested'];
  const made = await createChannel({ actor: admin }, { kind: 'webhook', name: uniqueName('notify-hook'), config: { url: hook.url }, events, allowCidrs });
  hook.secret = made.signingSecret!;
  channels.hook = made.id;
  channels.mail = (
    await createChannel({ actor: admin }, {
      kind: 'email',
      name: uniqueName('notify-mail'),
      config: { host: '127.0.0.1', port: sink.port, requireTls: false, from: 'lifeboat@example.test', to: ['oncall@example.test'] },
      events,
      allowCidrs,
    })
  ).id;
  const flakyChannel = await createChannel({ actor: admin }, { kind: 'webhook', name: uniqueName('notify-flaky'), config: { url: flaky.url }, events: ['restore.requested'], allowCidrs });
  flaky.secret = flakyChannel.signingSecret!;
  channels.flaky = flakyChannel.id;
  channels.broken = (await createChannel({ actor: admin }, { kind: 'webhook', name: uniqueName('notify-broken'), config: { url: broken.url }, events: ['restore.requested'], allowCidrs })).id;

  backupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-notify-test-'));
  const dest = await db().destination.create({ data: { name: uniqueName('notify-dest'), kind: 'local', config: { path: backupsDir } } });
  policyId = (await db().policy.create({ data: { name: uniqueName('notify-policy'), destinationId: dest.id } })).id;
  worker = await spawnWorker(FAST);
});

afterAll(async () => {
  await worker?.stop();
  await db().notificationChannel.deleteMany({ where: { id: { in: Object.values(channels).filter(Boolean) } } });
  await Promise.all([hook?.close(), flaky?.close(), broken?.close(), sink?.close()]);
  await cleanupAll();
  await closeProducer();
  await disconnectDb();
  fs.rmSync(backupsDir, { recursive: true, force: true });
});

describe('notifications through the worker', () => {
  it('a failed backup reaches the webhook and the mailbox once, signed, with its source and a link to the run', async () => {
    const pgc = connectionParts();
    const source = await createSource({ actor: operatorActor }, {
      kind: 'postgres',
      name: uniqueName('notify-src'),
      config: { host: pgc.host, port: pgc.port, database: uniqueName('lbt_missing'), user: pgc.user, ...(pgc.password ? { password: pgc.password } : {}) },
      policyId,
      testConnection: false,
    });
    const run = await requestBackup({ actor: operatorActor }, source.id);
    const finished = await until('the backup to fail', () => db().run.findUniqueOrThrow({ where: { id: run.id } }), (r) => r.status === 'FAILED' || r.status === 'SUCCEEDED');
    expect(finished.status).toBe('FAILED');

    const forRun = () => hook.received.filter((r) => r.json?.runId === run.id);
    await until('the webhook message', forRun, (l) => l.length > 0);
    const mailsForRun = () => sink.mails.filter((m) => m.raw.includes(run.id));
    await until('the mail', mailsForRun, (l) => l.length > 0);
    await settle();
    expect(forRun()).toHaveLength(1);
    expect(mailsForRun()).toHaveLength(1);

    const message = forRun()[0]!;
    expect(message.signature, 'X-Lifeboat-Signature verifies with the channel secret').toBeNull();
    expect(message.json).toMatchObject({
      id: `backup.failed:${run.id}`,
      event: 'backup.failed',
      source: { id: source.id, name: source.name },
      runId: run.id,
      restoreRequestId: null,
      link: `${PUBLIC_URL}/runs/${run.id}`,
      details: { status: 'FAILED' },
    });
    expect(message.json!.summary).toMatch(new RegExp(`^Backup of "${source.name}" failed: .*does not exist`));

    const mail = mailsForRun()[0]!;
    expect(mail.to).toEqual(['oncall@example.test']);
    expect(mail.subject).toContain(`[Lifeboat] Backup failed: Backup of "${source.name}" failed`);
    expect(mail.text).toContain(`Open in Lifeboat: ${PUBLIC_URL}/runs/${run.id}`);
    expect(mail.text).toContain(`Source: ${source.name} (${source.id})`);

    const rows = await db().notificationDelivery.findMany({ where: { eventKey: `backup.failed:${run.id}`, channelId: { in: [channels.hook, channels.mail] } } });
    expect(rows.map((r) => [r.status, r.attempts]).sort()).toEqual([
      ['SENT', 1],
      ['SENT', 1],
    ]);
    // The channel shows its last delivery.
    expect((await db().notificationChannel.findUniqueOrThrow({ where: { id: channels.hook } })).lastDeliveryAt).not.toBeNull();
  });

  it('a restore request waiting for approval is told once; a receiver that fails twice gets the third attempt; one that always fails is given up', async () => {
    const fixture = await restorableSource(1);
    const operator = await person('OPERATOR');
    const request = await createRestoreRequest({ actor: await sessionOf(operator) }, {
      recoveryPointId: fixture.pointId,
      target: { database: uniqueName('lbt_notify_restore') },
      reason: 'notifications test: restore drill',
    });
    expect(request.status).toBe('PENDING_APPROVAL');
    const key = `restore.requested:${request.id}`;

    const forRequest = (r: HttpReceiver) => r.received.filter((m) => m.json?.id === key);
    await until('the webhook message', () => forRequest(hook), (l) => l.length > 0);
    await until('the mail', () => sink.mails.filter((m) => m.raw.includes(request.id)), (l) => l.length > 0);
    await until('the third attempt at the flaky receiver', () => forRequest(flaky), (l) => l.length >= 3);
    await until(
      'the broken receiver to be given up',
      () => db().notificationDelivery.findUniqueOrThrow({ where: { channelId_eventKey: { channelId: channels.broken, eventKey: key } } }),
      (d) => d.status !== 'PENDING',
    );
    await settle();

    expect(forRequest(hook)).toHaveLength(1);
    const mails = sink.mails.filter((m) => m.raw.includes(request.id));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/^\[Lifeboat\] Restore requested: /);
    expect(mails[0]!.text).toContain(`Open in Lifeboat: ${PUBLIC_URL}/approvals/${request.id}`);
    expect(forRequest(hook)[0]!.json).toMatchObject({
      event: 'restore.requested',
      source: { id: fixture.sourceId, name: expect.stringMatching(/^appr-src_/) as unknown },
      restoreRequestId: request.id,
      runId: null,
      link: `${PUBLIC_URL}/approvals/${request.id}`,
      details: { mode: 'new', destructive: false, reason: 'notifications test: restore drill' },
    });
    expect(forRequest(hook)[0]!.json!.summary).toMatch(/ requested a restore of "appr-src_\w+": notifications test: restore drill$/);

    // Two 500s, then the third attempt succeeded; each attempt carried the same event, signed.
    const attempts = forRequest(flaky);
    expect(attempts).toHaveLength(3);
    expect(attempts.every((a) => a.signature === null)).toBe(true);
    const flakyRow = await db().notificationDelivery.findUniqueOrThrow({ where: { channelId_eventKey: { channelId: channels.flaky, eventKey: key } } });
    expect(flakyRow).toMatchObject({ status: 'SENT', attempts: 3, lastError: null, lastResponse: 'HTTP 200 ok' });

    // Always 500: five attempts (LIFEBOAT_NOTIFY_ATTEMPTS), then FAILED with the receiver's answer.
    const brokenRow = await db().notificationDelivery.findUniqueOrThrow({ where: { channelId_eventKey: { channelId: channels.broken, eventKey: key } } });
    expect(brokenRow).toMatchObject({ status: 'FAILED', attempts: 5, lastResponse: 'HTTP 500 receiver is down' });
    expect(brokenRow.lastError).toMatch(/answered 500$/);
    expect(forRequest(broken)).toHaveLength(5);
    expect((await db().notificationChannel.findUniqueOrThrow({ where: { id: channels.broken } })).lastError).toMatch(/answered 500$/);
  });

  it('a pending delivery whose job Redis lost is sent by the sweep', async () => {
    // As a Redis restart without persistence leaves it: the row committed a while ago, no job anywhere.
    const id = crypto.randomUUID();
    const key = `backup.failed:lost-${id}`;
    await db().notificationDelivery.create({
      data: {
        id,
        channelId: channels.hook,
        event: 'backup.failed',
        eventKey: key,
        createdAt: new Date(Date.now() - 60_000),
        payload: { id: key, event: 'backup.failed', at: new Date().toISOString(), summary: 'lost job', source: null, runId: null, restoreRequestId: null, link: `${PUBLIC_URL}/runs`, details: {} },
      },
    });
    await until('the swept delivery', () => hook.received.filter((m) => m.json?.id === key), (l) => l.length > 0);
    await settle();
    expect(hook.received.filter((m) => m.json?.id === key)).toHaveLength(1);
    expect(await db().notificationDelivery.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'SENT', attempts: 1 });
  });
});
