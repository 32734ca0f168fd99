import type { AnyEngine, EngineBackupType, EngineFormField, EngineRestoreMode } from './engine';

/** A restore mode as the dashboard sees it. */
export type EngineRestoreModeInfo = Pick<EngineRestoreMode, 'mode' | 'label' | 'destructive' | 'help'> & {
  confirmationField?: string;
  confirmationTemplate?: string;
  fieldLabels?: Record<string, string>;
  /** The `restoreForm` fields the mode uses; absent: all. */
  fields?: string[];
};

/** One value a preset asks for, e.g. the namespace of a `kubectl get` preset. */
export interface EnginePresetParameter {
  /** Referred to as `{param.<name>}` in the preset's config strings. */
  name: string;
  label: string;
  required?: boolean;
  default?: string;
  placeholder?: string;
  help?: string;
  /** JavaScript regular expression source (anchored) a value must match; the server's `applyPreset` checks it too. */
  pattern: string;
}

/**
 * A ready-made config the new-source form can start from (the capture command engine's kubectl, helm, etcd …
 * commands). Plain JSON: every string in `config` (argv elements, env values) may hold `{param.<name>}`, replaced by
 * the parameter's value; an `env` entry whose value ends up empty is dropped.
 */
export interface EnginePreset {
  id: string;
  label: string;
  description: string;
  help?: string;
  parameters: EnginePresetParameter[];
  config: Record<string, unknown>;
  /** Names of `secretEnv` variables the tool reads (e.g. VAULT_TOKEN): the person types their values. */
  secretEnv?: string[];
}

/**
 * An engine's presets, if its definition has them. (Read structurally: `EngineDefinition` does not declare
 * `presets` yet; the capture command engine is the one that has any.)
 */
export function enginePresets(engine: AnyEngine): readonly EnginePreset[] {
  const presets = (engine as AnyEngine & { presets?: unknown }).presets;
  return Array.isArray(presets) ? (presets as EnginePreset[]) : [];
}

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
   * destructive, help, and `confirmationField` / `confirmationTemplate` / `fieldLabels` / `fields` where the engine
   * sets them.
   */
  restoreModes: EngineRestoreModeInfo[];
  /** File extension of the raw artifact (before `.zst`/`.age`). */
  extension: string;
  /** `ADMIN` when only admins may create or edit sources of this kind (capture commands); absent: operators too. */
  creatorRole?: 'OPERATOR' | 'ADMIN';
  /** Ready-made configs for the new-source form; absent when the engine has none. */
  presets?: EnginePreset[];
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
          ...(m.confirmationTemplate === undefined ? {} : { confirmationTemplate: m.confirmationTemplate }),
          ...(m.fieldLabels === undefined ? {} : { fieldLabels: { ...m.fieldLabels } }),
          ...(m.fields === undefined ? {} : { fields: [...m.fields] }),
        }),
      ),
      extension: engine.artifact.extension,
      ...(engine.creatorRole === undefined ? {} : { creatorRole: engine.creatorRole }),
      ...(enginePresets(engine).length === 0 ? {} : { presets: enginePresets(engine) }),
    }),
  ) as EngineInfo;
}
