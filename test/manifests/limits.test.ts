// YAML limits: an alias bomb or absurd nesting is one skipped file with its path, line
// and reason, never an exception that aborts the run or a stack overflow.
import { describe, expect, it } from 'vitest';
import { BotError, ParseError } from '../../src/errors.ts';
import { directoryFiles, type RepoFiles } from '../../src/manifests/files.ts';
import { parseManifest } from '../../src/manifests/parse.ts';
import { imageEditors } from '../../src/manifests/registry.ts';
import { loadFiles } from '../../src/manifests/scan.ts';
import { MAX_DEPTH, parseStream } from '../../src/manifests/yaml.ts';
import { aliasBomb } from '../helpers/hostile.ts';

const IMAGE = 'ghcr.io/acme/podinfo';

/** Nine lol's, nine times nine, …: 9^7 strings from eight short lines. */
const ALIAS_BOMB = `apiVersion: v1
kind: ConfigMap
metadata:
  name: lol
  annotations:
    image: ghcr.io/acme/podinfo:0.1.0
data:
${aliasBomb(7, 2)}`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  template:
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/acme/podinfo:0.1.0
`;

function thrown(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ParseError) return err;
    throw err;
  }
  throw new Error('expected a ParseError');
}

function inMemory(files: Record<string, string>): RepoFiles {
  const repo = directoryFiles('/nonexistent');
  return {
    ...repo,
    read: async (rel) => {
      if (!(rel in files)) throw new Error(`no ${rel}`);
      return files[rel];
    },
  };
}

describe('alias limits', () => {
  it('refuses an alias bomb as PARSE_ALIASES with file and line of the first alias', () => {
    const err = thrown(() => parseManifest('apps/lol.yaml', ALIAS_BOMB));
    expect(err.code).toBe('PARSE_ALIASES');
    expect(err.message).toBe('apps/lol.yaml:9: aliases expand to more than 1000 nodes (an alias bomb?); not resolved');
  });

  it('names the line inside a later document of a stream', () => {
    const err = thrown(() => parseManifest('apps/multi.yaml', `${DEPLOYMENT}---\n${ALIAS_BOMB}`));
    expect(err.code).toBe('PARSE_ALIASES');
    expect(err.location.line).toBe(DEPLOYMENT.split('\n').length + 9);
  });

  it('keeps ordinary aliases working, with their values resolved', () => {
    const file = parseManifest('a.yaml', 'base: &b {x: 1}\ncopy: *b\n');
    expect(file.docs[0].value).toEqual({ base: { x: 1 }, copy: { x: 1 } });
  });

  it('refuses an alias without its anchor as invalid YAML instead of throwing later', () => {
    const err = thrown(() => parseManifest('a.yaml', 'kind: Deployment\nimage: *nope\n'));
    expect(err.code).toBe('PARSE_YAML');
    expect(err.message).toMatch(/^a\.yaml:2: invalid YAML: Unresolved alias/);
  });
});

/** Documents nested exactly `n` collections deep, in each shape the parser knows. */
const SHAPES: Record<string, (n: number) => string> = {
  'flow sequences': (n) => `v: ${'['.repeat(n - 1)}x${']'.repeat(n - 1)}\n`,
  'flow maps': (n) => `v: ${'{a: '.repeat(n - 1)}1${'}'.repeat(n - 1)}\n`,
  'block maps': (n) => Array.from({ length: n }, (_, i) => `${'  '.repeat(i)}k:`).join('\n') + ' leaf\n',
  'compact sequences': (n) => `${'- '.repeat(n)}x\n`,
  'explicit keys': (n) => Array.from({ length: n }, (_, i) => `${'  '.repeat(i)}? `).join('\n') + 'x\n',
};

describe('nesting limits', () => {
  it.each(Object.keys(SHAPES))(`accepts ${MAX_DEPTH} levels of %s, which toJS and every editor walk without overflowing`, (shape) => {
    const file = parseManifest('deep.yaml', `# ${IMAGE}:0.1.0\n${SHAPES[shape](MAX_DEPTH)}`);
    expect(file.docs[0].value).toBeTypeOf('object');
    for (const editor of imageEditors(new Map())) editor.find(file, IMAGE);
  });

  it.each(Object.keys(SHAPES))(`refuses ${MAX_DEPTH + 1} levels of %s as PARSE_TOO_DEEP`, (shape) => {
    const err = thrown(() => parseManifest('apps/deep.yaml', SHAPES[shape](MAX_DEPTH + 1)));
    expect(err.code).toBe('PARSE_TOO_DEEP');
    expect(err.message).toMatch(new RegExp(`^apps/deep\\.yaml:\\d+: nested deeper than ${MAX_DEPTH} levels; not parsed further$`));
  });

  it.each([
    ['100 000 unclosed [', '['.repeat(100_000), 1],
    ['100 000 closed {a:', `${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}\n`, 1],
    ['100 000 compact sequences', `${'- '.repeat(100_000)}x\n`, 1],
    [`${MAX_DEPTH + 1} block maps`, SHAPES['block maps'](MAX_DEPTH + 1), MAX_DEPTH + 1],
  ])('refuses %s with file and line', (_what, text, line) => {
    const err = thrown(() => parseManifest('apps/deep.yaml', text));
    expect(err.code).toBe('PARSE_TOO_DEEP');
    expect(err.message).toBe(`apps/deep.yaml:${line}: nested deeper than ${MAX_DEPTH} levels; not parsed further`);
  });

  it('stops 4 MB of [ (within the size limit) at once, without building a deep parse tree', () => {
    const started = performance.now();
    const heap = process.memoryUsage().heapUsed;
    expect(parseStream('['.repeat(4 * 1024 * 1024)).error).toMatchObject({ code: 'PARSE_TOO_DEEP' });
    // unguarded, the parser took 12 s and 3.4 GB on this input
    expect(performance.now() - started).toBeLessThan(1000);
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('loading a batch with hostile files', () => {
  it('skips the bomb and the deep file with their paths and reasons, and loads the rest', async () => {
    const repo = inMemory({ 'a/bomb.yaml': ALIAS_BOMB, 'a/deep.yaml': '['.repeat(100_000), 'a/ok.yaml': DEPLOYMENT });
    const { files, skipped } = await loadFiles(repo, ['a/bomb.yaml', 'a/deep.yaml', 'a/ok.yaml']);
    expect(files.map((f) => f.path)).toEqual(['a/ok.yaml']);
    expect(skipped).toEqual([
      { file: 'a/bomb.yaml', code: 'PARSE_ALIASES', reason: 'a/bomb.yaml:9: aliases expand to more than 1000 nodes (an alias bomb?); not resolved' },
      { file: 'a/deep.yaml', code: 'PARSE_TOO_DEEP', reason: `a/deep.yaml:1: nested deeper than ${MAX_DEPTH} levels; not parsed further` },
    ]);
  });

  it('keeps the code of a refused read and names the file', async () => {
    const repo = inMemory({ 'a/ok.yaml': DEPLOYMENT });
    const refused = new BotError('FILE_TOO_LARGE', 'file is 52428800 bytes, over the limit of 4194304 bytes (MAX_FILE_SIZE); not read', { file: 'a/big.yaml' });
    const { skipped } = await loadFiles({ ...repo, read: async (rel) => (rel === 'a/big.yaml' ? Promise.reject(refused) : repo.read(rel)) }, ['a/big.yaml', 'a/ok.yaml']);
    expect(skipped).toEqual([{ file: 'a/big.yaml', code: 'FILE_TOO_LARGE', reason: 'a/big.yaml: file is 52428800 bytes, over the limit of 4194304 bytes (MAX_FILE_SIZE); not read' }]);
  });
});
