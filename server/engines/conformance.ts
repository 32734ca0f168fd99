import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isEngineError, type AnyEngine, type EngineErrorCode, type EngineFormField } from './engine';
import { engineInfo } from './engine-info';
import { spawnProcess } from '@/server/process';

/**
 * What the suite needs from the world around one engine: real data to back up and a way to look at what a restore
 * produced. Everything is raw JSON, as the workers pass it (config and secrets as stored, targets as requested).
 */
export interface EngineConformanceFixture {
  /** Creates a source holding some data (several kinds of values, not a single byte) and returns how to reach it. */
  createSource(): Promise<{ config: unknown; secrets: unknown }>;
  /** A restore target that does not exist yet; a new one on every call. */
  newTarget(): unknown;
  /** A target that exists and holds data (e.g. the source itself): a restore onto it must be refused. */
  existingTarget(): unknown;
  /** The source's data in a comparable form (e.g. per-table hashes). */
  readSource(): Promise<unknown>;
  /** The same for what a restore produced; compared with `readSource` by deep equality. */
  readTarget(target: unknown): Promise<unknown>;
  targetExists(target: unknown): Promise<boolean>;
  /** Removes what the suite restored (called for every target it used, existing or not). */
  dropTarget(target: unknown): Promise<void>;
  /** Configs the engine must refuse with INVALID_CONFIG (missing fields, wrong types, unknown keys …). */
  badConfigs: unknown[];
  cleanup(): Promise<void>;
}

// Bytes of a complete artifact a truncated one keeps: enough to get past any header, far from the end.
const TRUNCATE_TO_FRACTION = 0.5;
// How long a restore is left waiting on an input that stalls before the suite cancels it: the engine must be inside
// its restore (target created, tool started) by then on a loaded 2-core machine.
const CANCEL_AFTER_MS = 500;

/**
 * The generic checks every engine passes (docs/ARCHITECTURE.md, "Engines"): a well-formed definition, then against
 * real data backup → restore into a new target → same data, refusals (existing target, bad config, bad target),
 * cancellation through the signal, truncated input, and the optional `verify` and `checkRestoreTarget`.
 */
export function describeEngineConformance(name: string, engine: AnyEngine, setup: () => Promise<EngineConformanceFixture>): void {
  describe(`engine conformance: ${name}`, () => {
    describe('definition', () => {
      it('has a kind, a label and a description', () => {
        expect(engine.kind).toMatch(/^[a-z][a-z0-9-]{0,31}$/);
        expect(engine.label.trim()).not.toBe('');
        expect(engine.description.trim()).not.toBe('');
      });

      it('its schemas accept its examples', () => {
        expect(engine.configSchema.safeParse(engine.examples.config).success).toBe(true);
        expect(engine.secretsSchema.safeParse(engine.examples.secrets).success).toBe(true);
        expect(engine.restoreTargetSchema.safeParse(engine.examples.restoreTarget).success).toBe(true);
      });

      it('the source form has one field per config and secret key, every required key among them, secrets as passwords', () => {
        const config = objectKeys(engine.configSchema);
        const secrets = objectKeys(engine.secretsSchema);
        const names = engine.form.map((f) => f.name);
        expect(new Set(names).size, 'field names are unique').toBe(names.length);
        expect([...names].sort()).toEqual([...config.all, ...secrets.all].sort());
        for (const key of [...config.required, ...secrets.required]) expect(names, `required key ${key} has a field`).toContain(key);
        for (const f of engine.form) {
          // A secret typed into a plain input would be shown on screen; a password stored in config would be in clear.
          expect(f.type === 'password', `field ${f.name}: password fields are exactly the secret keys`).toBe(secrets.all.includes(f.name));
          checkField(f);
        }
        // Every choice a select offers is one the schema accepts.
        for (const f of engine.form.filter((x) => x.type === 'select')) {
          for (const o of f.options ?? []) {
            const schema = secrets.all.includes(f.name) ? engine.secretsSchema : engine.configSchema;
            const example = secrets.all.includes(f.name) ? engine.examples.secrets : engine.examples.config;
            expect(schema.safeParse({ ...(example as object), [f.name]: o.value }).success, `${f.name} option ${o.value}`).toBe(true);
          }
        }
      });

      it('the restore form has fields only for restore target keys, every required key among them', () => {
        const target = objectKeys(engine.restoreTargetSchema);
        const names = engine.restoreForm.map((f) => f.name);
        expect(new Set(names).size).toBe(names.length);
        for (const n of names) expect(target.all, `restore field ${n} is a target key`).toContain(n);
        for (const key of target.required) expect(names, `required target key ${key} has a field`).toContain(key);
        engine.restoreForm.forEach(checkField);
      });

      it('declares a safe artifact extension and a restore hint built on the decode pipeline', () => {
        expect(engine.artifact.extension).toMatch(/^[a-z0-9]{1,16}$/);
        const decode = 'age -d -i key.txt data.x.zst.age | zstd -d';
        const hint = engine.artifact.restoreHint({ file: 'data.x.zst.age', decode });
        if (hint !== null) expect(hint).toContain(decode);
      });

      it('declares backup types (full first) and restore modes (the first one not destructive)', () => {
        expect(engine.backupTypes[0]).toBe('full');
        expect(new Set(engine.backupTypes).size).toBe(engine.backupTypes.length);
        expect(engine.restoreModes.length).toBeGreaterThan(0);
        expect(new Set(engine.restoreModes.map((m) => m.mode)).size).toBe(engine.restoreModes.length);
        // The default a request without a mode gets must never overwrite anything.
        expect(engine.restoreModes[0]!.destructive).toBe(false);
        for (const m of engine.restoreModes) {
          expect(m.mode).toMatch(/^[a-z][a-z0-9-]*$/);
          expect(typeof m.destructive).toBe('boolean');
          expect(m.label.trim()).not.toBe('');
          expect(m.help.trim()).not.toBe('');
        }
      });

      it('names, for each destructive mode, the restore form field typed to confirm, and relabels only restore form fields', () => {
        const fields = engine.restoreForm.map((f) => f.name);
        for (const m of engine.restoreModes) {
          // The dashboard asks a person to type this field's value again; without it, it could only guess.
          if (m.destructive) expect(m.confirmationField, `destructive mode ${m.mode} names its confirmationField`).toBeDefined();
          if (m.confirmationField !== undefined) {
            expect(fields, `mode ${m.mode}: confirmationField is a restore form field`).toContain(m.confirmationField);
            const field = engine.restoreForm.find((f) => f.name === m.confirmationField)!;
            // A value typed from memory: text the person can read back, and one the target cannot do without.
            expect(field.type === 'text' || field.type === 'number', `mode ${m.mode}: confirmationField ${field.name} is typed text`).toBe(true);
            expect(field.required, `mode ${m.mode}: confirmationField ${field.name} is required`).toBe(true);
            // The server's rule and the dashboard's field agree: the name to type is that field's value.
            if (m.confirmationName) {
              const example = engine.examples.restoreTarget as Record<string, unknown>;
              expect(m.confirmationName(engine.examples.config, example), `mode ${m.mode}: confirmationName is the field's value`).toBe(String(example[m.confirmationField]));
            }
          }
          for (const [name, label] of Object.entries(m.fieldLabels ?? {})) {
            expect(fields, `mode ${m.mode}: fieldLabels.${name} is a restore form field`).toContain(name);
            expect(label.trim(), `mode ${m.mode}: fieldLabels.${name}`).not.toBe('');
          }
        }
      });

      it('is described to the dashboard as plain JSON', () => {
        const info = engineInfo(engine);
        expect(info).toEqual(JSON.parse(JSON.stringify(info)));
        expect(info).toMatchObject({ kind: engine.kind, label: engine.label, extension: engine.artifact.extension });
        expect(info.form).toHaveLength(engine.form.length);
        // Each mode arrives with what the dialog needs, functions left on the server.
        expect(info.restoreModes).toEqual(
          engine.restoreModes.map((m) => ({
            mode: m.mode,
            label: m.label,
            destructive: m.destructive,
            help: m.help,
            ...(m.confirmationField === undefined ? {} : { confirmationField: m.confirmationField }),
            ...(m.fieldLabels === undefined ? {} : { fieldLabels: m.fieldLabels }),
          })),
        );
      });
    });

    describe('with real data', () => {
      let fixture: EngineConformanceFixture;
      let source: { config: unknown; secrets: unknown };
      let artifact: Buffer;
      const used: unknown[] = [];
      const target = () => {
        const t = fixture.newTarget();
        used.push(t);
        return t;
      };

      beforeAll(async () => {
        fixture = await setup();
        source = await fixture.createSource();
        const { stream, done } = engine.backup(source.config, source.secrets, {});
        const [bytes, result] = await Promise.all([buffer(stream), done]);
        artifact = bytes;
        expect(result.format).not.toBe('');
        if (result.bytes !== undefined) expect(result.bytes).toBe(bytes.length);
      });

      afterAll(async () => {
        for (const t of used) await fixture?.dropTarget(t);
        await fixture?.cleanup();
      });

      it('probes the source as reachable', async () => {
        expect(await engine.probe(source.config, source.secrets)).toMatchObject({ ok: true });
      });

      it('backs up to a non-empty stream', () => {
        expect(artifact.length).toBeGreaterThan(0);
      });

      it('restores into a new target with the same data', async () => {
        const t = target();
        expect(await fixture.targetExists(t)).toBe(false);
        const result = await engine.restore(source.config, source.secrets, Readable.from([artifact]), t, {});
        expect(result.bytes).toBe(artifact.length);
        expect(await fixture.readTarget(t)).toEqual(await fixture.readSource());
      });

      it('refuses to restore onto an existing target, and leaves it as it was', async () => {
        const existing = fixture.existingTarget();
        const before = await fixture.readSource();
        await expectCode(engine.restore(source.config, source.secrets, Readable.from([artifact]), existing, {}), 'TARGET_EXISTS');
        expect(await fixture.readSource()).toEqual(before);
      });

      it('checks restore targets early, if it declares checkRestoreTarget', async () => {
        if (engine.checkRestoreTarget === undefined) return;
        await expectCode(engine.checkRestoreTarget(source.config, source.secrets, fixture.existingTarget()), 'TARGET_EXISTS');
        const t = target();
        await expect(engine.checkRestoreTarget(source.config, source.secrets, t)).resolves.toBeUndefined();
        expect(await fixture.targetExists(t), 'the check creates nothing').toBe(false);
        await expectCode(engine.checkRestoreTarget(source.config, source.secrets, { nonsense: true }), 'INVALID_CONFIG');
      });

      it('cancels a backup through its signal', async () => {
        const controller = new AbortController();
        const { stream, done } = engine.backup(source.config, source.secrets, { signal: controller.signal });
        // Abort once bytes flow, while the rest is still unread (back-pressure holds the producer).
        await new Promise<void>((resolve) => stream.once('readable', () => resolve()));
        controller.abort();
        stream.resume();
        await expectCode(done, 'CANCELLED');
      });

      it('cancels a backup whose signal was aborted before it started', async () => {
        const { stream, done } = engine.backup(source.config, source.secrets, { signal: AbortSignal.abort() });
        stream.resume();
        await expectCode(done, 'CANCELLED');
      });

      it('cancels a restore through its signal and leaves no target behind', async () => {
        const t = target();
        const controller = new AbortController();
        // Half the artifact, then the input stalls: the restore is under way and cannot finish by itself.
        const input = new PassThrough();
        input.write(artifact.subarray(0, Math.floor(artifact.length * TRUNCATE_TO_FRACTION)));
        const restoring = engine.restore(source.config, source.secrets, input, t, { signal: controller.signal });
        setTimeout(() => controller.abort(), CANCEL_AFTER_MS);
        await expectCode(restoring, 'CANCELLED');
        expect(await fixture.targetExists(t)).toBe(false);
      });

      /**
       * A `restoreFrom` source the way the artifact pipeline is one: another process (`cat` of the artifact) writes
       * straight into the engine tool's stdin; `verdict` turns its clean exit into the caller's verdict.
       */
      const catInto = (bytes: Buffer, verdict: (fed: { bytes: number }) => Promise<{ bytes?: number }> = (fed) => Promise.resolve(fed)) => ({
        async connect(stdin: Writable) {
          const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-conformance-'));
          try {
            const file = path.join(dir, 'artifact');
            await writeFile(file, bytes);
            const cat = spawnProcess({ command: 'cat', args: ['--', file], stdout: stdin });
            stdin.destroy(); // cat holds the descriptor now
            const exit = await cat.exited;
            if (exit.code !== 0) throw new Error(`cat failed: ${exit.stderrTail}`);
            return await verdict({ bytes: bytes.length });
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      });

      it('restores into a new target with the same data through restoreFrom, if it declares it', async () => {
        if (engine.restoreFrom === undefined) return;
        const t = target();
        const result = await engine.restoreFrom(source.config, source.secrets, t, catInto(artifact), {});
        expect(result.bytes).toBe(artifact.length);
        expect(await fixture.readTarget(t)).toEqual(await fixture.readSource());
      });

      it('drops the target when the restoreFrom source’s verdict rejects after the tool read everything', async () => {
        if (engine.restoreFrom === undefined) return;
        const t = target();
        const verdict = new Error('the stored object changed between the reads');
        await expect(engine.restoreFrom(source.config, source.secrets, t, catInto(artifact, () => Promise.reject(verdict)), {})).rejects.toBe(verdict);
        expect(await fixture.targetExists(t)).toBe(false);
      });

      it('refuses restoreFrom onto an existing target without calling the source, if it declares it', async () => {
        if (engine.restoreFrom === undefined) return;
        let connected = false;
        const never = {
          connect: () => {
            connected = true;
            return Promise.resolve({});
          },
        };
        await expectCode(engine.restoreFrom(source.config, source.secrets, fixture.existingTarget(), never, {}), 'TARGET_EXISTS');
        expect(connected).toBe(false);
      });

      it('fails a restore of a truncated artifact and leaves no target behind', async () => {
        const t = target();
        const truncated = artifact.subarray(0, Math.floor(artifact.length * TRUNCATE_TO_FRACTION));
        await expect(engine.restore(source.config, source.secrets, Readable.from([truncated]), t, {})).rejects.toThrow();
        expect(await fixture.targetExists(t)).toBe(false);
      });

      it('refuses bad config with INVALID_CONFIG, before doing anything', async () => {
        for (const bad of fixture.badConfigs) {
          expect(() => engine.backup(bad, source.secrets, {}), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
          const input = Readable.from([artifact]);
          await expectCode(engine.restore(bad, source.secrets, input, target(), {}), 'INVALID_CONFIG');
          expect(input.destroyed, 'the input is released').toBe(true);
        }
      });

      it('refuses a bad restore target with INVALID_CONFIG', async () => {
        const input = Readable.from([artifact]);
        await expectCode(engine.restore(source.config, source.secrets, input, { nonsense: true }, {}), 'INVALID_CONFIG');
        expect(input.destroyed).toBe(true);
      });

      it('verifies its own artifact and rejects garbage, if it declares verify', async () => {
        if (engine.verify === undefined) return;
        const result = await engine.verify(Readable.from([artifact]));
        expect(result.bytes).toBe(artifact.length);
        expect(result.entries).toBeGreaterThan(0);
        expect(result.summary).not.toBe('');
        await expect(engine.verify(Readable.from([randomBytes(4096)]))).rejects.toSatisfy((err) => isEngineError(err));
      });
    });
  });
}

async function expectCode(promise: Promise<unknown>, code: EngineErrorCode): Promise<void> {
  const err = await promise.then(
    () => new Error(`resolved, expected ${code}`),
    (e: unknown) => e,
  );
  expect(isEngineError(err) ? err.code : err).toBe(code);
}

function checkField(f: EngineFormField): void {
  expect(f.name).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
  expect(f.label.trim(), `field ${f.name} has a label`).not.toBe('');
  expect(['text', 'number', 'password', 'select', 'checkbox']).toContain(f.type);
  if (f.type === 'select') expect(f.options?.length ?? 0, `select ${f.name} has options`).toBeGreaterThan(0);
}

/** Keys of an object schema, and which of them must be given (the schema refuses the object without them). */
function objectKeys(schema: unknown): { all: string[]; required: string[] } {
  const shape = (schema as { shape?: Record<string, { safeParse(v: unknown): { success: boolean } }> }).shape;
  expect(shape, 'config, secrets and restore target schemas are zod objects').toBeTypeOf('object');
  const all = Object.keys(shape!);
  return { all, required: all.filter((k) => !shape![k]!.safeParse(undefined).success) };
}
