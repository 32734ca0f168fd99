import type { AnyEngine, EngineBackupType, EngineFormField, EngineRestoreMode } from './engine';

/** What the dashboard needs to know about an engine: plain JSON, no schemas or functions. */
export interface EngineInfo {
  kind: string;
  label: string;
  description: string;
  /** Fields of the new-source form, in order. */
  form: EngineFormField[];
  /** Fields of the restore dialog. */
  restoreForm: EngineFormField[];
  backupTypes: EngineBackupType[];
  restoreModes: EngineRestoreMode[];
  /** File extension of the raw artifact (before `.zst`/`.age`). */
  extension: string;
}

/** The serialisable part of an engine's definition (`GET /api/v1/engines`). */
export function engineInfo(engine: AnyEngine): EngineInfo {
  // A JSON round trip: anything not serialisable (a function slipped into a field spec) fails here, in tests.
  return JSON.parse(
    JSON.stringify({
      kind: engine.kind,
      label: engine.label,
      description: engine.description,
      form: engine.form,
      restoreForm: engine.restoreForm,
      backupTypes: engine.backupTypes,
      restoreModes: engine.restoreModes,
      extension: engine.artifact.extension,
    }),
  ) as EngineInfo;
}
