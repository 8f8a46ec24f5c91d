// Hostile webhooks against the bot as `npm start` runs it (intake in its own thread):
// oversized and forged bodies, malformed payloads. Each case asserts the status, the one
// log line, that no payload reaches the log, that nothing in the config repo moved, and
// the memory figure where the issue names one.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/intake/signature.ts';
import { startBotProcess, type BotProcess } from '../helpers/bot-process.ts';

const SECRET = 'hostile-intake-secret';
const MB = 1024 * 1024;
let bot: BotProcess;
let dir: string;
let repoDir: string;

function headOf(): string {
  return execFileSync('git', ['-C', repoDir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
}

/** Peak resident memory of the bot process so far (Linux VmHWM), in MB. */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${bot.pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

interface Sent {
  status: number;
  body: string;
}

/** POSTs a body of `size` bytes written in 1 MB chunks; `declare` sends Content-Length,
 *  otherwise the body is chunked. A server that answers early ends the upload. */
function postLarge(size: number, opts: { declare: boolean; delivery: string; signature?: string }): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-github-event': 'release',
      'x-github-delivery': opts.delivery,
      'x-hub-signature-256': opts.signature ?? `sha256=${'0'.repeat(64)}`,
    };
    if (opts.declare) headers['content-length'] = String(size);
    const req = request(`${bot.base}/api/github/webhooks`, { method: 'POST', headers });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    // The server may close the socket once it has answered; that is its right.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const chunk = Buffer.alloc(MB, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < size && !answered) {
        const n = Math.min(MB, size - sent);
        sent += n;
        if (!req.write(n === MB ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

async function post(event: string, body: string, opts: { delivery: string; signature?: string | null } = { delivery: 'x' }): Promise<Sent> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': opts.delivery };
  const signature = opts.signature === undefined ? sign(SECRET, body) : opts.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  const res = await fetch(`${bot.base}/api/github/webhooks`, { method: 'POST', headers, body });
  return { status: res.status, body: await res.text() };
}

const lines = (delivery: string) => bot.output().split('\n').filter((l) => l.includes(`"${delivery}"`));

/** The log lines naming `delivery`, once the intake thread's line has been written. */
async function linesAbout(delivery: string): Promise<string[]> {
  for (let i = 0; i < 100 && lines(delivery).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  // a second line, if any, would follow within the same turn
  await new Promise((r) => setTimeout(r, 50));
  return lines(delivery);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hostile-intake-'));
  repoDir = path.join(dir, 'config-repo');
  // no reconcile passes: their log lines would fall into the windows measured here
  bot = await startBotProcess({ LOCAL_CONFIG_REPO: repoDir, WORK_DIR: path.join(dir, 'work'), WEBHOOK_SECRET: SECRET, LOG_FORMAT: 'json', RECONCILE_INTERVAL: '0' });
  await bot.healthy();
  console.log(`peak RSS after start: ${peakRssMb().toFixed(0)} MB`);
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('hostile webhooks', () => {
  it('a forged 30 MB body with Content-Length is refused 413 before it is read; one log line', async () => {
    const before = bot.output().length;
    const r = await postLarge(30 * MB, { declare: true, delivery: 'big-declared' });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toEqual({ error: `body over the ${25 * MB} byte limit` });
    const found = await linesAbout('big-declared');
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('webhook refused');
    expect(found[0]).toContain(`"size":${30 * MB}`);
    expect(bot.output().length - before).toBeLessThan(1000);
  });

  it('four concurrent forged 30 MB chunked bodies: all 413, /healthz answers meanwhile, RSS stays under 250 MB', async () => {
    const before = bot.output().length;
    const uploads = [1, 2, 3, 4].map((i) => postLarge(30 * MB, { declare: false, delivery: `big-chunked-${i}` }));
    const health = await fetch(`${bot.base}/healthz`);
    expect(health.status).toBe(200);
    const results = await Promise.all(uploads);
    expect(results.map((r) => r.status)).toEqual([413, 413, 413, 413]);
    for (let i = 1; i <= 4; i++) expect(await linesAbout(`big-chunked-${i}`)).toHaveLength(1);
    // Four log lines, no body: far under a kilobyte each.
    expect(bot.output().length - before).toBeLessThan(4000);
    const peak = peakRssMb();
    console.log(`peak RSS after four 30 MB forged uploads: ${peak.toFixed(0)} MB`);
    expect(peak).toBeLessThan(250);
  });

  it('a forged signature on a small body: 401, one line naming delivery, event, size and reason, no payload in the log', async () => {
    const head = headOf();
    const body = JSON.stringify({ marker: 'PAYLOAD-MUST-NOT-BE-LOGGED', action: 'published' });
    for (const [delivery, signature] of [
      ['forged-wrong', sign('not-the-secret', body)],
      ['forged-missing', null],
      ['forged-malformed', 'sha1=abc'],
    ] as const) {
      const r = await post('release', body, { delivery, signature });
      expect(r.status).toBe(401);
      const found = await linesAbout(delivery);
      expect(found).toHaveLength(1);
      const line = JSON.parse(found[0]) as Record<string, unknown>;
      expect(line).toMatchObject({ delivery, event: 'release', msg: 'webhook refused', status: 401 });
      expect(String(line.reason)).toMatch(/signature/i);
    }
    expect(bot.output()).not.toContain('PAYLOAD-MUST-NOT-BE-LOGGED');
    expect(headOf()).toBe(head);
  });

  it('signed payloads without the fields a handler needs: 400 naming the field, never 500 or internal text', async () => {
    const head = headOf();
    const repo = { full_name: 'example/podinfo', name: 'podinfo', owner: { login: 'example' } };
    const release = { tag_name: 'v0.2.9', draft: false, prerelease: false, target_commitish: 'main' };
    const cases: Array<[string, string, unknown, string]> = [
      ['no-repository', 'release', { action: 'published', release }, 'release payload: repository: expected object, received undefined'],
      ['no-release', 'release', { action: 'published', repository: repo }, 'release payload: release: expected object, received undefined'],
      ['tag-null', 'release', { action: 'published', repository: repo, release: { ...release, tag_name: null } }, 'release payload: release.tag_name: expected string, received null'],
      ['tag-number', 'release', { action: 'published', repository: repo, release: { ...release, tag_name: 42 } }, 'release payload: release.tag_name: expected string, received number'],
      ['json-string', 'release', 'just a string', 'release payload: payload: expected a JSON object'],
      ['comment-no-clone-url', 'issue_comment', { action: 'created', repository: repo, sender: { login: 'a', type: 'User' }, issue: { number: 1 }, comment: { body: '/canary status' } }, 'issue_comment payload: repository.clone_url: expected string, received undefined'],
      ['push-no-ref', 'push', { repository: repo, deleted: false, after: 'x' }, 'push payload: ref: expected string, received undefined'],
      ['comment-no-body', 'issue_comment', { action: 'created', repository: { ...repo, clone_url: 'https://github.com/example/config.git' }, sender: { login: 'a', type: 'User' }, issue: { number: 1 }, comment: {} }, 'issue_comment payload: comment.body: expected string, received undefined'],
    ];
    for (const [delivery, event, payload, message] of cases) {
      const r = await post(event, JSON.stringify(payload), { delivery });
      expect({ delivery, status: r.status, body: JSON.parse(r.body) }).toEqual({ delivery, status: 400, body: { error: message } });
      expect(await linesAbout(delivery)).toHaveLength(1);
    }
    const notJson = await post('release', '{"action": "published", ', { delivery: 'not-json' });
    expect(notJson).toEqual({ status: 400, body: '{"error":"body is not valid JSON"}\n' });
    expect(bot.output()).not.toMatch(/TypeError/);
    expect(headOf()).toBe(head);
  });

  it('events no handler listens to are accepted without a shape check (ping)', async () => {
    const r = await post('ping', JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }), { delivery: 'ping-1' });
    expect(r.status).toBe(200);
  });
});
