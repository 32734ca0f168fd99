import { describe, expect, it } from 'vitest';
import { copyJobId } from './enqueue-copy';

const id = '11111111-1111-4111-8111-111111111111';

describe('copyJobId', () => {
  it('is the same for duplicate enqueues of one state, and new for each claim and each re-arming', () => {
    expect(copyJobId({ id, jobGeneration: 0, attempts: 0 })).toBe(copyJobId({ id, jobGeneration: 0, attempts: 0 }));
    expect(copyJobId({ id, jobGeneration: 0, attempts: 1 })).not.toBe(copyJobId({ id, jobGeneration: 0, attempts: 0 }));
    // A re-arming resets attempts to 0: the generation keeps it apart from the first making's job.
    expect(copyJobId({ id, jobGeneration: 1, attempts: 0 })).not.toBe(copyJobId({ id, jobGeneration: 0, attempts: 0 }));
  });
});
