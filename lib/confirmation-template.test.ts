import { describe, expect, it } from 'vitest';
import { fillConfirmationTemplate, templateFields } from './confirmation-template';

describe('confirmation templates', () => {
  it('fills fields, numbers as written, a fallback for an empty field', () => {
    expect(fillConfirmationTemplate('{host}:{port|6379}', { host: ' cache2 ', port: 6380 })).toBe('cache2:6380');
    expect(fillConfirmationTemplate('{host}:{port|6379}', { host: 'cache2', port: '' })).toBe('cache2:6379');
    expect(fillConfirmationTemplate('{host}:{port|6379}', { host: 'cache2' })).toBe('cache2:6379');
    expect(fillConfirmationTemplate('{host}', {})).toBe('');
  });

  it('names the fields it uses', () => {
    expect(templateFields('{host}:{port|6379}')).toEqual(['host', 'port']);
    expect(templateFields('no fields')).toEqual([]);
  });
});
