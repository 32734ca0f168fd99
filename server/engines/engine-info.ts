import type { AnyEngine, EngineBackupType, EngineFormField, EngineRestoreMode } from './engine';

/** A restore mode as the dashboard sees it. */
export type EngineRestoreModeInfo = Pick<EngineRestoreMode, 'mode' | 'label' | 'destructive' | 'help'> & {
  confirmationField?: string;
  fieldLabels?: Record<string, string>;
};

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
  /**
   * Restore modes without their functions (`confirmationName`, `replaces` stay on the server): mode, label,
   * destructive, help, and `confirmationField` / `fieldLabels` where the engine sets them.
   */
  restoreModes: EngineRestoreModeInfo[];
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
      // Named, not spread: a function on a mode is the server's rule, and anything else added later is sent on purpose.
      restoreModes: engine.restoreModes.map(
        (m): EngineRestoreModeInfo => ({
          mode: m.mode,
          label: m.label,
          destructive: m.destructive,
          help: m.help,
          ...(m.confirmationField === undefined ? {} : { confirmationField: m.confirmationField }),
          ...(m.fieldLabels === undefined ? {} : { fieldLabels: { ...m.fieldLabels } }),
        }),
      ),
      extension: engine.artifact.extension,
    }),
  ) as EngineInfo;
}
