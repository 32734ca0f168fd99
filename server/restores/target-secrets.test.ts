import { describe, expect, it } from 'vitest';
import { restoreSecretFields, SEALED, splitTarget, unsealTarget } from './target-secrets';

describe('restore target secrets', () => {
  it('takes the declared secret fields and every password field of the restore form', () => {
    const form = [
      { name: 'host', label: 'Host', type: 'text' as const },
      { name: 'password', label: 'Password', type: 'password' as const },
    ];
    expect(restoreSecretFields({ restoreForm: form })).toEqual(['password']);
    expect(restoreSecretFields({ restoreForm: form, restoreSecretFields: ['token'] }).sort()).toEqual(['password', 'token']);
  });

  it('stores a given secret as the marker and keeps its value apart; a missing one stays missing', () => {
    expect(splitTarget(['password'], { host: 'h', password: 'pw' })).toEqual({ target: { host: 'h', password: SEALED }, secrets: { password: 'pw' } });
    expect(splitTarget(['password'], { host: 'h' })).toEqual({ target: { host: 'h' }, secrets: {} });
  });

  it('puts sealed values back where a secret field holds the marker, and refuses a marker with nothing behind it', () => {
    expect(unsealTarget({ host: 'h', password: SEALED }, { password: 'pw' }, ['password'])).toEqual({ host: 'h', password: 'pw' });
    // A new value wins; a target without the field drops the sealed one; other fields may hold the marker's text.
    expect(unsealTarget({ password: 'new' }, { password: 'pw' }, ['password'])).toEqual({ password: 'new' });
    expect(unsealTarget({ host: 'h' }, { password: 'pw' }, ['password'])).toEqual({ host: 'h' });
    expect(unsealTarget({ database: SEALED }, {}, ['password'])).toEqual({ database: SEALED });
    expect(() => unsealTarget({ password: SEALED }, {}, ['password'])).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});
