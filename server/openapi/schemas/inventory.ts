import { z } from '../zod';
import { IsoDateTime, Json, JsonObject, Uuid } from './common';
import { Policy } from './policies';
import { SourceSlo } from './slo';

/** server/inventory/source-dto.ts, toSourceDto. */
export const Source = z.object({
  id: Uuid,
  name: z.string(),
  kind: z.string(),
  config: JsonObject.openapi({ description: "The engine's settings in clear; secrets never (see hasPassword)" }),
  hasPassword: z.boolean(),
  policyId: Uuid.nullable(),
  serviceId: Uuid.nullable(),
  service: z.object({ id: Uuid, name: z.string() }).nullable(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  recoveryPointCount: z.number().int().optional(),
  lastRun: z.object({ id: Uuid, status: z.string(), kind: z.string(), finishedAt: IsoDateTime.nullable() }).optional().openapi({ description: 'Absent when the source never ran' }),
  policy: Policy.nullable().optional().openapi({ description: 'On the detail reads (get, create, update): the policy, or null' }),
}).openapi('Source');

/** `GET /sources/{id}`: the source with its SLO figures (the source object of `GET /slo`). */
export const SourceDetail = z.object({ ...Source.shape, slo: SourceSlo.nullable() }).openapi('SourceDetail');

export const SourceDeleted = z.object({ id: Uuid, name: z.string(), pointsDeleted: z.array(Uuid), runsDeleted: z.number().int() }).openapi('SourceDeleted');

/** server/engines/engine.ts, EngineProbeResult. */
export const ProbeResult = z.object({ ok: z.boolean(), version: z.string().optional(), message: z.string().optional() }).openapi('ProbeResult');

/** server/inventory/destination-dto.ts, toDestinationDto. */
export const Destination = z.object({
  id: Uuid,
  name: z.string(),
  kind: z.string(),
  kindLabel: z.string(),
  config: Json,
  hasSecrets: z.boolean(),
  secretKeys: z.array(z.string()),
  offsite: z.boolean(),
  immutable: z.boolean(),
  isDefault: z.boolean(),
  createdAt: IsoDateTime,
}).openapi('Destination');

/** `GET /destinations`: with what each stores and the policies writing to it. */
export const DestinationListItem = z.object({
  ...Destination.shape,
  usedBytes: z.number(),
  pointCount: z.number().int(),
  policies: z.array(z.object({ id: Uuid, name: z.string(), role: z.enum(['primary', 'copy']) })),
}).openapi('DestinationListItem');

const FormField = z.object({
  name: z.string(),
  label: z.string(),
  type: z.enum(['text', 'number', 'password', 'select', 'checkbox']),
  required: z.boolean().optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  help: z.string().optional(),
  placeholder: z.string().optional(),
  options: z.array(z.object({ value: z.string(), label: z.string() })).optional(),
  maxLength: z.number().int().optional(),
  row: z.string().optional(),
  narrow: z.boolean().optional(),
  multiline: z.boolean().optional(),
  optionsFrom: z.object({ objectDetail: z.string() }).optional(),
});

/** server/engines/engine-info.ts, EngineInfo. */
export const Engine = z.object({
  kind: z.string(),
  label: z.string(),
  description: z.string(),
  form: z.array(FormField),
  restoreForm: z.array(FormField),
  backupTypes: z.array(z.enum(['full', 'incremental', 'differential'])),
  restoreModes: z.array(
    z.object({
      mode: z.string(),
      label: z.string(),
      destructive: z.boolean(),
      help: z.string(),
      confirmationField: z.string().optional(),
      confirmationTemplate: z.string().optional(),
      fieldLabels: z.record(z.string(), z.string()).optional(),
      fields: z.array(z.string()).optional(),
    }),
  ),
  extension: z.string(),
  creatorRole: z.enum(['OPERATOR', 'ADMIN']).optional(),
  presets: z
    .array(
      z.object({
        id: z.string(),
        label: z.string(),
        description: z.string(),
        help: z.string().optional(),
        parameters: z.array(
          z.object({
            name: z.string(),
            label: z.string(),
            required: z.boolean().optional(),
            default: z.string().optional(),
            placeholder: z.string().optional(),
            help: z.string().optional(),
            pattern: z.string(),
          }),
        ),
        config: JsonObject,
        secretEnv: z.array(z.string()).optional(),
      }),
    )
    .optional(),
}).openapi('Engine');
