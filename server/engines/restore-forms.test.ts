import { describe, expect, it } from 'vitest';

import { commandDefinition } from './command/definition';
import { engineInfo } from './engine-info';
import type { AnyEngine } from './engine';
import { postgresDefinition } from './postgres/definition';
import { redisDefinition } from './redis/definition';

/** What the dashboard receives: the definitions' serialisable parts (functions are never sent). */
const info = (definition: object) => engineInfo(definition as unknown as AnyEngine);
const modeFields = (definition: object) => Object.fromEntries(info(definition).restoreModes.map((m) => [m.mode, m.fields]));

describe('restore forms as the engines declare them', () => {
  it('Redis: a scratch restore asks only its lifetime, a replay only the server to copy into', () => {
    const replay = ['host', 'port', 'tls', 'username', 'password'];
    expect(modeFields(redisDefinition)).toEqual({ scratch: ['ttlSeconds'], replay, 'replay-replace': replay });
  });

  it("PostgreSQL: `from` takes the point's databases as choices; an in-place restore has no table list", () => {
    expect(modeFields(postgresDefinition)).toEqual({ new: ['database', 'from', 'tables'], 'in-place': ['database', 'from'] });
    expect(info(postgresDefinition).restoreForm.find((f) => f.name === 'from')).toMatchObject({ type: 'select', optionsFrom: { objectDetail: 'database' } });
  });

  it('capture commands: argument lists and variables are text areas from the start, the secret environment is not', () => {
    const multiline = info(commandDefinition)
      .form.filter((f) => f.multiline === true)
      .map((f) => f.name);
    expect(multiline).toEqual(['argv', 'env', 'checkArgv', 'restoreArgv']);
  });
});
