#!/usr/bin/env node
// Entry point of the GitHub Action (action.yml): runs `gitops-canary validate` with the
// action's inputs, which the composite step passes as INPUT_* variables as the runner
// does for JavaScript actions. Annotations go to stdout, where the runner reads them.
import path from 'node:path';
import { importModule, keepCompiledCode } from './load.mjs';

const { main } = await importModule('cli');
const input = (name, fallback) => {
  const v = process.env[`INPUT_${name.toUpperCase()}`];
  return v === undefined || v.trim() === '' ? fallback : v.trim();
};
const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
const repo = path.resolve(workspace, input('repo', '.'));
process.exitCode = await main(['validate', '--repo', repo, '--format', input('format', 'github')]);
keepCompiledCode();
