import { describe, expect, it } from 'vitest';
import { operationsByTag, schemaText, tryUrl, type OpenApiDoc } from './openapi-view';

const doc: OpenApiDoc = {
  openapi: '3.1.0',
  paths: {
    '/api/v1/runs/{id}': {
      get: {
        operationId: 'getRunsById',
        tags: ['Runs'],
        summary: 'One run',
        'x-permission': 'run:read',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: { '200': { description: 'The run', content: { 'application/json': { schema: { $ref: '#/components/schemas/Run' } } } } },
      },
    },
    '/api/v1/health': { get: { tags: ['Meta'], summary: 'Liveness', security: [], responses: {} } },
  },
  components: {
    schemas: {
      Run: {
        type: 'object',
        properties: { id: { type: 'string', format: 'uuid' }, status: { type: 'string', enum: ['QUEUED', 'RUNNING'] }, error: { type: ['string', 'null'] }, parent: { $ref: '#/components/schemas/Run' } },
        required: ['id', 'status'],
      },
    },
  },
};

describe('the API reference page', () => {
  it('groups operations by tag and filters them', () => {
    const tags = operationsByTag(doc);
    expect(tags.map((t) => t.name)).toEqual(['Runs', 'Meta']);
    expect(tags[0]!.operations[0]).toMatchObject({ method: 'GET', path: '/api/v1/runs/{id}', permission: 'run:read', public: false });
    expect(tags[1]!.operations[0]!.public).toBe(true);
    expect(operationsByTag(doc, 'liveness').map((t) => t.name)).toEqual(['Meta']);
    expect(operationsByTag(doc, 'run:read')[0]!.operations).toHaveLength(1);
  });

  it('writes schemas as readable text, references by name beyond the depth and when they recur', () => {
    const text = schemaText({ $ref: '#/components/schemas/Run' }, doc, 2);
    expect(text).toBe('{\n  id: string (uuid)\n  status: "QUEUED" | "RUNNING"\n  error?: string | null\n  parent?: Run\n}');
    expect(schemaText({ $ref: '#/components/schemas/Run' }, doc, 0)).toBe('Run');
    expect(schemaText({ type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'null' }] } }, doc)).toBe('(string | null)[]');
  });

  it('builds the URL a try sends: path parameters encoded and required, empty query values left out', () => {
    const params = [
      { name: 'id', in: 'path' as const, required: true },
      { name: 'limit', in: 'query' as const },
      { name: 'cursor', in: 'query' as const },
    ];
    expect(tryUrl('/api/v1/runs/{id}', {}, params)).toEqual({ missing: ['id'] });
    expect(tryUrl('/api/v1/runs/{id}', { id: 'a/b', limit: '2', cursor: ' ' }, params)).toEqual({ url: '/api/v1/runs/a%2Fb?limit=2' });
  });
});
