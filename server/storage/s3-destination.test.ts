import { describe, expect, it } from 'vitest';
import { S3DestinationConfig, s3BucketNameProblem } from './s3-destination';

describe('S3 bucket names (S3 general purpose bucket naming rules)', () => {
  it.each(['abc', 'lifeboat-test', 'my.backups-2024', '123', 'a'.repeat(63), 'a1.b2.c3', 'xn-single-hyphen'])('accepts %s', (name) => {
    expect(s3BucketNameProblem(name)).toBeNull();
  });

  it.each([
    ['ab', /3 to 63/],
    ['a'.repeat(64), /3 to 63/],
    ['../../x', /lowercase letters, digits, dots and hyphens/],
    ['Upper', /lowercase/],
    ['under_score', /lowercase/],
    ['with space', /lowercase/],
    ['-leading', /start and end/],
    ['trailing-', /start and end/],
    ['.leading', /start and end/],
    ['trailing.', /start and end/],
    ['two..dots', /adjacent dots/],
    ['192.168.5.4', /IP address/],
    ['xn--punycode', /xn--/],
    ['sthree-reserved', /sthree-/],
    ['amzn-s3-demo-bucket', /amzn-s3-demo-/],
    ['access-point-s3alias', /-s3alias/],
    ['object-lambda--ol-s3', /--ol-s3/],
    ['region.mrap', /\.mrap/],
    ['directory--x-s3', /--x-s3/],
    ['tables--table-s3', /--table-s3/],
  ])('refuses %s', (name, reason) => {
    expect(s3BucketNameProblem(name)).toMatch(reason);
  });
});

describe('S3DestinationConfig', () => {
  const base = { region: 'us-east-1', bucket: 'lifeboat-test' };
  const fields = (config: Record<string, unknown>) => {
    const r = S3DestinationConfig.safeParse({ ...base, ...config });
    return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
  };

  it('takes http(s) endpoints without credentials, query or fragment', () => {
    expect(fields({ endpoint: 'http://127.0.0.1:9000' })).toEqual([]);
    expect(fields({ endpoint: 'https://s3.example.com/' })).toEqual([]);
    expect(fields({})).toEqual([]);
    for (const endpoint of ['file:///etc/passwd', 'ftp://h', 'javascript:alert(1)', 'http://u:p@h', 'http://u@h', 'http://h/?a=1', 'http://h/#x', 'not a url']) {
      expect({ endpoint, fields: fields({ endpoint }) }).toEqual({ endpoint, fields: ['endpoint'] });
    }
  });

  it('takes a relative prefix without `.`/`..` segments', () => {
    expect(fields({ prefix: 'lifeboat/prod' })).toEqual([]);
    expect(fields({ prefix: 'lifeboat/prod/' })).toEqual([]);
    for (const prefix of ['/abs', '..', '../x', 'a/../b', 'a/./b', 'a//b', 'a\\b']) {
      expect({ prefix, fields: fields({ prefix }) }).toEqual({ prefix, fields: ['prefix'] });
    }
  });

  it('verifies fully by default, takes auto and size, and refuses a re-read mode for archive classes', () => {
    expect(S3DestinationConfig.parse(base).verify).toBe('full');
    expect(fields({ verify: 'auto' })).toEqual([]);
    expect(fields({ verify: 'size', storageClass: 'GLACIER' })).toEqual([]);
    // auto re-reads on a store that does not confirm checksums, which an archive class cannot serve.
    for (const verify of ['full', 'auto']) expect(fields({ verify, storageClass: 'DEEP_ARCHIVE' })).toEqual(['verify']);
    expect(fields({ verify: 'trust-me' })).toEqual(['verify']);
  });
});
