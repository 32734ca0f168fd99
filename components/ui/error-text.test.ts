import { describe, expect, it } from 'vitest';
import { ApiError } from '@/components/api/client';
import { errorParts, fieldLabel, sentence } from './error-text';

// Issue 8, item 7: errors were shown as "INVALID_STATErecovery point…" (code glued to the message), with field
// paths ("config.port: …") that mean nothing to the person reading them.

describe('sentence', () => {
  it('starts with a capital and ends with a full stop, leaving what already ends', () => {
    expect(sentence('recovery point is held')).toBe('Recovery point is held.');
    expect(sentence('Try again?')).toBe('Try again?');
    expect(sentence('  ')).toBe('');
  });
});

describe('fieldLabel', () => {
  it('uses the form’s label for the whole path, then for its last segment, else words from the name', () => {
    expect(fieldLabel(['config', 'port'], { 'config.port': 'Port number' })).toBe('Port number');
    expect(fieldLabel(['config', 'port'], { port: 'Port' })).toBe('Port');
    expect(fieldLabel(['config', 'accessKeyId'])).toBe('Access key ID');
    expect(fieldLabel(['schedules', '0', 'cron'])).toBe('Cron (schedule 1)');
  });
});

describe('errorParts', () => {
  it('keeps the code apart from the message', () => {
    const parts = errorParts(new ApiError(409, 'INVALID_STATE', 'recovery point is held'));
    expect(parts).toEqual({ code: 'INVALID_STATE', lines: ['Recovery point is held.'] });
  });
  it('turns field paths into labels, from the issues when the server sent them', () => {
    const e = new ApiError(422, 'VALIDATION', 'config.port: Too small; name: Required', {
      issues: [
        { path: ['config', 'port'], message: 'Too small: expected number to be >=1' },
        { path: ['name'], message: 'Required' },
      ],
    });
    expect(errorParts(e, { 'config.port': 'Port' }).lines).toEqual(['Port: Too small: expected number to be >=1.', 'Name: Required.']);
  });
  it('turns a path that leads a message into a label when there are no issues', () => {
    expect(errorParts(new ApiError(422, 'VALIDATION', 'config.port: must be a number')).lines).toEqual(['Port: must be a number.']);
  });
  it('keeps one sentence whole when it is not a list of validation problems', () => {
    expect(errorParts(new ApiError(409, 'INVALID_STATE', 'recovery point x is under legal hold; release the hold first')).lines).toEqual([
      'Recovery point x is under legal hold; release the hold first.',
    ]);
  });
  it('words anything else as a sentence, without a code', () => {
    expect(errorParts(new Error('boom'))).toEqual({ code: null, lines: ['Boom.'] });
  });
});
