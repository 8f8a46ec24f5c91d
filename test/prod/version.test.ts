// `gitops-canary --version`: package.json's version, from main() and from the bin's fast
// path (which loads nothing else), and the same with other arguments around it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { ROOT } from './dockerfile.ts';

const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('gitops-canary --version', () => {
  it('prints the package version and exits 0, alone or with a command', async () => {
    expect(await cli(['--version'])).toEqual({ code: 0, out: `gitops-canary ${version}`, err: '' });
    expect(await cli(['status', '--version'])).toEqual({ code: 0, out: `gitops-canary ${version}`, err: '' });
  });

  it('answers from the bin, through its fast path for a lone --version', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin/gitops-canary.mjs'), '--version']);
    expect(stdout).toBe(`gitops-canary ${version}\n`);
  });
});
