import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  isEngineError,
  OBJECT_ROLE_PATTERN,
  type AnyEngine,
  type EngineBackupResult,
  type EngineErrorCode,
  type EngineFormField,
  type EngineRestoreInput,
  type EngineRestoreOptions,
  type EngineRestoreResult,
  type EngineStoredObject,
} from './engine';
import { engineInfo } from './engine-info';
import { fillConfirmationTemplate, templateFields } from '@/lib/confirmation-template';
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
  /**
   * A target that exists and holds data (e.g. the source itself): a restore onto it must be refused. Absent for an
   * engine with no notion of an existing target (a capture command hands the bytes to a restore command of the
   * source's own): the TARGET_EXISTS checks are then skipped.
   */
  existingTarget?(): unknown;
  /**
   * The config a restore into `target` runs with; default: the source's. For an engine whose restore destination is
   * part of the source (a capture command's `restoreArgv`): targets are then told apart by object identity, so each
   * new target gets a restore command writing somewhere new.
   */
  restoreConfig?(target: unknown): unknown;
  /**
   * The artifact has no framing the engine could check (a command's raw output): a truncated artifact that ends
   * cleanly is indistinguishable from a short one, and the caller's sha256 is what catches it. The suite then checks
   * instead that an input failing midway (the caller's verdict) fails the restore with that error, no target left.
   */
  unframed?: boolean;
  /** The source's data in a comparable form (e.g. per-table hashes). */
  readSource(): Promise<unknown>;
  /** The same for what a restore produced; compared with `readSource` by deep equality. */
  readTarget(target: unknown): Promise<unknown>;
  targetExists(target: unknown): Promise<boolean>;
  /** Removes what the suite restored (called for every target it used, existing or not). */
  dropTarget(target: unknown): Promise<void>;
  /** Configs the engine must refuse with INVALID_CONFIG (missing fields, wrong types, unknown keys …). */
  badConfigs: unknown[];
  /**
   * Checks the backed-up point itself (its objects in order, each read whole, raw as the engine produced it), e.g.
   * that a multi-object source yields the objects its config names and what the restore never reads (the globals).
   */
  checkPoint?(objects: ReadonlyArray<{ role: string; extension: string; details: Record<string, unknown>; bytes: Buffer }>): void | Promise<void>;
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
          // A new source has no recovery point to take choices from.
          expect(f.optionsFrom, `field ${f.name}: optionsFrom is for restore forms`).toBeUndefined();
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
        // Choices from the point's objects (which of its databases): a select, with nothing else to choose from.
        for (const f of engine.restoreForm.filter((x) => x.optionsFrom !== undefined)) {
          expect(f.type, `restore field ${f.name}: optionsFrom is for selects`).toBe('select');
          expect(f.optionsFrom!.objectDetail, `restore field ${f.name}: optionsFrom names a details key`).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
          expect(f.options, `restore field ${f.name}: optionsFrom or options, not both`).toBeUndefined();
          expect(f.required, `restore field ${f.name}: offered only when the point holds several choices`).not.toBe(true);
        }
      });

      it('names, for each restore mode that uses some fields only, restore form fields among them every required one', () => {
        const names = engine.restoreForm.map((f) => f.name);
        const required = engine.restoreForm.filter((f) => f.required).map((f) => f.name);
        for (const m of engine.restoreModes) {
          if (m.fields === undefined) continue;
          expect(new Set(m.fields).size, `mode ${m.mode}: fields are unique`).toBe(m.fields.length);
          for (const name of m.fields) expect(names, `mode ${m.mode}: field ${name} is a restore form field`).toContain(name);
          // The dialog sends only the mode's fields: one the target cannot do without must be among them.
          for (const name of required) expect(m.fields, `mode ${m.mode}: required field ${name} is among its fields`).toContain(name);
          // What the mode asks to type again, or relabels, is a field the dialog shows in it.
          const named = [
            ...(m.confirmationField === undefined ? [] : [m.confirmationField]),
            ...(m.confirmationTemplate === undefined ? [] : templateFields(m.confirmationTemplate)),
            ...Object.keys(m.fieldLabels ?? {}),
          ];
          for (const name of named) expect(m.fields, `mode ${m.mode}: field ${name} it names is among its fields`).toContain(name);
        }
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
          if (m.destructive) {
            expect(m.confirmationField ?? m.confirmationTemplate, `destructive mode ${m.mode} names its confirmationField or confirmationTemplate`).toBeDefined();
          }
          if (m.confirmationTemplate !== undefined) {
            // Several fields typed as one text (a server as host:port): each a text-like restore form field, and the
            // server's rule is the template filled with the target's values.
            const used = templateFields(m.confirmationTemplate);
            expect(used.length, `mode ${m.mode}: confirmationTemplate names fields`).toBeGreaterThan(0);
            for (const name of used) {
              const field = engine.restoreForm.find((f) => f.name === name);
              expect(field, `mode ${m.mode}: confirmationTemplate field ${name} is a restore form field`).toBeDefined();
              expect(field!.type === 'text' || field!.type === 'number', `mode ${m.mode}: confirmationTemplate field ${name} is typed text`).toBe(true);
            }
            if (m.confirmationName) {
              const example = engine.examples.restoreTarget as Record<string, unknown>;
              expect(m.confirmationName(engine.examples.config, example), `mode ${m.mode}: confirmationName is the filled template`).toBe(
                fillConfirmationTemplate(m.confirmationTemplate, example),
              );
            }
          }
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
            ...(m.confirmationTemplate === undefined ? {} : { confirmationTemplate: m.confirmationTemplate }),
            ...(m.fieldLabels === undefined ? {} : { fieldLabels: m.fieldLabels }),
            ...(m.fields === undefined ? {} : { fields: m.fields }),
          })),
        );
      });
    });

    describe('with real data', () => {
      let fixture: EngineConformanceFixture;
      let source: { config: unknown; secrets: unknown };
      /** The point's objects, as `backupObjects` yielded them (or the one `data` object `backup` made). */
      let point: CapturedObject[];
      /** The bytes of the first object a restore reads (the whole artifact of a single-object engine). */
      let artifact: Buffer;
      const used: unknown[] = [];
      const target = () => {
        const t = fixture.newTarget();
        used.push(t);
        return t;
      };
      const configFor = (t: unknown) => (fixture.restoreConfig && t !== undefined ? fixture.restoreConfig(t) : source.config);
      const stored = (): EngineStoredObject[] => point.map((o) => ({ role: o.role, details: o.details, rawBytes: o.bytes.length }));
      /** The objects a restore into `t` reads, in order (the engine's `restoreObjects`, else the only one or `data`). */
      const chosen = (t: unknown): CapturedObject[] => {
        const roles = engine.restoreObjects ? engine.restoreObjects(configFor(t), t, stored()) : [point.length === 1 ? point[0]!.role : 'data'];
        return roles.map((role) => {
          const o = point.find((x) => x.role === role);
          expect(o, `restoreObjects chose ${role}, an object of the point`).toBeDefined();
          return o!;
        });
      };
      /**
       * Restores the point into `t` as the restore worker does: `restoreSet` when several objects are chosen, else
       * `restore` of the one (with its role and details). `feed` gives each chosen object's input.
       */
      const restorePoint = (t: unknown, feed: (bytes: Buffer, index: number) => Readable, options: EngineRestoreOptions = {}): Promise<EngineRestoreResult> => {
        const objects = chosen(t);
        if (objects.length === 1) {
          const [o] = objects;
          return engine.restore(configFor(t), source.secrets, feed(o!.bytes, 0), t, { ...options, object: { role: o!.role, details: o!.details, rawBytes: o!.bytes.length } });
        }
        expect(engine.restoreSet, 'an engine whose restoreObjects chooses several objects declares restoreSet').toBeDefined();
        async function* inputs(): AsyncGenerator<EngineRestoreInput> {
          let previous: Readable | undefined;
          for (const [i, o] of objects.entries()) {
            // The contract: each input is read to its end (or destroyed) before the next is pulled.
            if (previous) expect(previous.readableEnded || previous.destroyed, `input ${i - 1} was finished before input ${i} was pulled`).toBe(true);
            previous = feed(o.bytes, i);
            yield { role: o.role, details: o.details, rawBytes: o.bytes.length, extension: o.extension, input: previous };
          }
        }
        return engine.restoreSet!(configFor(t), source.secrets, inputs(), t, options);
      };
      const bytesOf = (t: unknown) => chosen(t).reduce((n, o) => n + o.bytes.length, 0);

      beforeAll(async () => {
        fixture = await setup();
        source = await fixture.createSource();
        point = await capturePoint(engine, source.config, source.secrets, {});
        for (const o of point) {
          expect(o.result.format).not.toBe('');
          if (o.result.bytes !== undefined) expect(o.result.bytes).toBe(o.bytes.length);
        }
        artifact = chosen(fixture.newTarget())[0]!.bytes;
      });

      afterAll(async () => {
        for (const t of used) await fixture?.dropTarget(t);
        await fixture?.cleanup();
      });

      it('probes the source as reachable', async () => {
        expect(await engine.probe(source.config, source.secrets)).toMatchObject({ ok: true });
      });

      it('backs up to a non-empty stream', () => {
        expect(point.length).toBeGreaterThan(0);
        expect(artifact.length).toBeGreaterThan(0);
      });

      it('yields objects with unique roles, safe extensions and JSON details, if it declares backupObjects', () => {
        if (engine.backupObjects === undefined) return;
        const roles = point.map((o) => o.role);
        expect(new Set(roles).size, 'roles are unique within a point').toBe(roles.length);
        for (const o of point) {
          expect(o.role).toMatch(OBJECT_ROLE_PATTERN);
          expect(o.extension).toMatch(/^[a-z0-9]+(\.[a-z0-9]+)*$/);
          expect(o.details).toEqual(JSON.parse(JSON.stringify(o.details)));
        }
      });

      it('holds the objects the fixture expects, if it checks them', async () => {
        await fixture.checkPoint?.(point);
      });

      it('restores into a new target with the same data', async () => {
        const t = target();
        expect(await fixture.targetExists(t)).toBe(false);
        const result = await restorePoint(t, (bytes) => Readable.from([bytes]));
        expect(result.bytes).toBe(bytesOf(t));
        expect(await fixture.readTarget(t)).toEqual(await fixture.readSource());
      });

      it('refuses to restore onto an existing target, and leaves it as it was', async () => {
        if (fixture.existingTarget === undefined) return;
        const existing = fixture.existingTarget();
        const before = await fixture.readSource();
        await expectCode(restorePoint(existing, (bytes) => Readable.from([bytes])), 'TARGET_EXISTS');
        expect(await fixture.readSource()).toEqual(before);
      });

      it('checks restore targets early, if it declares checkRestoreTarget', async () => {
        if (engine.checkRestoreTarget === undefined) return;
        if (fixture.existingTarget !== undefined) {
          const existing = fixture.existingTarget();
          await expectCode(engine.checkRestoreTarget(configFor(existing), source.secrets, existing), 'TARGET_EXISTS');
        }
        const t = target();
        await expect(engine.checkRestoreTarget(configFor(t), source.secrets, t)).resolves.toBeUndefined();
        expect(await fixture.targetExists(t), 'the check creates nothing').toBe(false);
        await expectCode(engine.checkRestoreTarget(configFor(t), source.secrets, { nonsense: true }), 'INVALID_CONFIG');
      });

      it('cancels a backup through its signal', async () => {
        const controller = new AbortController();
        const options = { signal: controller.signal };
        const { iterator, first } = await startBackup(engine, source.config, source.secrets, options);
        const { stream, done } = first;
        // Abort once bytes flow, while the rest is still unread (back-pressure holds the producer).
        await new Promise<void>((resolve) => stream.once('readable', () => resolve()));
        controller.abort();
        stream.resume();
        await expectCode(done, 'CANCELLED');
        await iterator?.return?.();
      });

      it('cancels a backup whose signal was aborted before it started', async () => {
        const options = { signal: AbortSignal.abort() };
        if (engine.backupObjects === undefined) {
          const { stream, done } = engine.backup(source.config, source.secrets, options);
          stream.resume();
          await expectCode(done, 'CANCELLED');
          return;
        }
        // Either the iteration itself refuses, or the object it yields does.
        const iterator = engine.backupObjects(source.config, source.secrets, options)[Symbol.asyncIterator]();
        let next;
        try {
          next = await iterator.next();
        } catch (err) {
          expect(isEngineError(err) ? err.code : err).toBe('CANCELLED');
          return;
        }
        expect(next.done, 'an aborted backup yields no object, or one that fails').toBe(false);
        const { stream, done } = next.value.backup(options);
        stream.resume();
        await expectCode(done, 'CANCELLED');
        await iterator.return?.();
      });

      it('cancels a restore through its signal and leaves no target behind', async () => {
        const t = target();
        const controller = new AbortController();
        // Half the (first) artifact, then the input stalls: the restore is under way and cannot finish by itself.
        const restoring = restorePoint(
          t,
          (bytes, i) => {
            if (i > 0) return Readable.from([bytes]);
            const input = new PassThrough();
            input.write(bytes.subarray(0, Math.floor(bytes.length * TRUNCATE_TO_FRACTION)));
            return input;
          },
          { signal: controller.signal },
        );
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
      // restoreFrom reads one object: it is exercised where a restore reads one.
      const single = (t: unknown) => engine.restoreFrom !== undefined && chosen(t).length === 1;

      it('restores into a new target with the same data through restoreFrom, if it declares it', async () => {
        const t = target();
        if (!single(t)) return;
        const result = await engine.restoreFrom!(configFor(t), source.secrets, t, catInto(artifact), {});
        expect(result.bytes).toBe(artifact.length);
        expect(await fixture.readTarget(t)).toEqual(await fixture.readSource());
      });

      it('drops the target when the restoreFrom source’s verdict rejects after the tool read everything', async () => {
        const t = target();
        if (!single(t)) return;
        const verdict = new Error('the stored object changed between the reads');
        await expect(engine.restoreFrom!(configFor(t), source.secrets, t, catInto(artifact, () => Promise.reject(verdict)), {})).rejects.toBe(verdict);
        expect(await fixture.targetExists(t)).toBe(false);
      });

      it('refuses restoreFrom onto an existing target without calling the source, if it declares it', async () => {
        if (engine.restoreFrom === undefined || fixture.existingTarget === undefined) return;
        let connected = false;
        const never = {
          connect: () => {
            connected = true;
            return Promise.resolve({});
          },
        };
        const existing = fixture.existingTarget();
        await expectCode(engine.restoreFrom(configFor(existing), source.secrets, existing, never, {}), 'TARGET_EXISTS');
        expect(connected).toBe(false);
      });

      it('fails a restore of a truncated artifact and leaves no target behind', async () => {
        if (fixture.unframed) return;
        const t = target();
        await expect(restorePoint(t, (bytes) => Readable.from([bytes.subarray(0, Math.floor(bytes.length * TRUNCATE_TO_FRACTION))]))).rejects.toThrow();
        expect(await fixture.targetExists(t)).toBe(false);
      });

      it('fails a restore whose input breaks off with the input’s error, and leaves no target behind (unframed artifacts)', async () => {
        if (!fixture.unframed) return;
        const t = target();
        const damaged = new Error('the stored object does not match its sha256');
        const last = chosen(t).length - 1;
        // The last object breaks off: everything before it was restored already, the restore must still fail whole.
        const restoring = restorePoint(t, (bytes, i) => {
          if (i < last) return Readable.from([bytes]);
          const input = new PassThrough();
          input.write(bytes.subarray(0, Math.floor(bytes.length * TRUNCATE_TO_FRACTION)));
          setTimeout(() => input.destroy(damaged), CANCEL_AFTER_MS);
          return input;
        });
        await expect(restoring).rejects.toBe(damaged);
        expect(await fixture.targetExists(t)).toBe(false);
      });

      it('refuses bad config with INVALID_CONFIG, before doing anything', async () => {
        for (const bad of fixture.badConfigs) {
          if (engine.backupObjects === undefined) {
            expect(() => engine.backup(bad, source.secrets, {}), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
          } else {
            // Thrown at once, or by the first step of the iteration: either way before anything runs.
            const refused = await Promise.resolve()
              .then(() => engine.backupObjects!(bad, source.secrets, {})[Symbol.asyncIterator]().next())
              .then(
                () => undefined,
                (err: unknown) => err,
              );
            expect(isEngineError(refused) ? refused.code : refused, JSON.stringify(bad)).toBe('INVALID_CONFIG');
          }
          const input = Readable.from([artifact]);
          await expectCode(engine.restore(bad, source.secrets, input, target(), {}), 'INVALID_CONFIG');
          expect(input.destroyed, 'the input is released').toBe(true);
          if (engine.restoreSet !== undefined) {
            let pulled = false;
            async function* inputs(): AsyncGenerator<EngineRestoreInput> {
              pulled = true;
              yield { role: point[0]!.role, details: point[0]!.details, extension: point[0]!.extension, input: Readable.from([artifact]) };
            }
            await expectCode(engine.restoreSet(bad, source.secrets, inputs(), target(), {}), 'INVALID_CONFIG');
            expect(pulled, 'restoreSet refuses a bad config before pulling an input').toBe(false);
          }
        }
      });

      it('refuses a bad restore target with INVALID_CONFIG', async () => {
        const input = Readable.from([artifact]);
        await expectCode(engine.restore(configFor(undefined), source.secrets, input, { nonsense: true }, {}), 'INVALID_CONFIG');
        expect(input.destroyed).toBe(true);
        if (engine.restoreSet !== undefined) {
          async function* none(): AsyncGenerator<EngineRestoreInput> {}
          await expectCode(engine.restoreSet(configFor(undefined), source.secrets, none(), { nonsense: true }, {}), 'INVALID_CONFIG');
        }
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

/** One object of a backed-up point, read whole. */
interface CapturedObject {
  role: string;
  extension: string;
  details: Record<string, unknown>;
  bytes: Buffer;
  result: EngineBackupResult;
}

/**
 * Backs up the whole point as the backup worker does: `backupObjects` one object at a time (each read to its end
 * before the next is asked for), or `backup` as the one `data` object. Details are the object's merged with its
 * result's, as the catalog keeps them.
 */
async function capturePoint(engine: AnyEngine, config: unknown, secrets: unknown, options: EngineRestoreOptions): Promise<CapturedObject[]> {
  if (engine.backupObjects === undefined) {
    const { stream, done } = engine.backup(config, secrets, options);
    const [bytes, result] = await Promise.all([buffer(stream), done]);
    return [{ role: 'data', extension: engine.artifact.extension, details: result.details ?? {}, bytes, result }];
  }
  const out: CapturedObject[] = [];
  for await (const o of engine.backupObjects(config, secrets, options)) {
    const { stream, done } = o.backup(options);
    const [bytes, result] = await Promise.all([buffer(stream), done]);
    out.push({ role: o.role, extension: o.extension, details: { ...(o.details ?? {}), ...(result.details ?? {}) }, bytes, result });
  }
  return out;
}

/** The first object's backup, started (and the iterator it came from, to stop it), for the cancellation checks. */
async function startBackup(engine: AnyEngine, config: unknown, secrets: unknown, options: EngineRestoreOptions) {
  if (engine.backupObjects === undefined) return { iterator: undefined, first: engine.backup(config, secrets, options) };
  const iterator = engine.backupObjects(config, secrets, options)[Symbol.asyncIterator]();
  const next = await iterator.next();
  expect(next.done, 'backupObjects yields at least one object').toBe(false);
  return { iterator, first: next.value.backup(options) };
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
  if (f.type === 'select' && f.optionsFrom === undefined) expect(f.options?.length ?? 0, `select ${f.name} has options`).toBeGreaterThan(0);
  if (f.multiline !== undefined) expect(f.type, `field ${f.name}: multiline is for text fields`).toBe('text');
}

/**
 * Keys of an object schema, and which of them must be given (the schema refuses the object without them). An object
 * schema with a `.transform()` (a zod pipe) is read from its input side: those are the keys a form sends.
 */
function objectKeys(schema: unknown): { all: string[]; required: string[] } {
  type Shape = Record<string, { safeParse(v: unknown): { success: boolean } }>;
  const s = schema as { shape?: Shape; in?: { shape?: Shape } };
  const shape = s.shape ?? s.in?.shape;
  expect(shape, 'config, secrets and restore target schemas are zod objects').toBeTypeOf('object');
  const all = Object.keys(shape!);
  return { all, required: all.filter((k) => !shape![k]!.safeParse(undefined).success) };
}
