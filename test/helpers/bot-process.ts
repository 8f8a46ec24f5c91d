// The bot as `npm start` runs it (dist/main.js in its own process, built from the sources
// by the suite's global setup, test/build-once.ts), for tests of process start-up in
// either mode: spawn with a scrubbed environment, wait for /healthz, stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** What `npm start` runs; about 1.5 s quicker to start than src/main.ts through tsx. */
export const MAIN = path.join(ROOT, 'dist/main.js');
// Settings the host may have set that would change the mode or where the bot talks to.
const SCRUBBED = /^(APP_ID|PRIVATE_KEY|PRIVATE_KEY_PATH|WEBHOOK_SECRET|GITHUB_API_URL|GHE_HOST|GHE_PROTOCOL|SLACK_WEBHOOK_URL|NOTIFY_WEBHOOK_URL|CONFIG_REPOS|HOST|PORT|WORK_DIR|LOCAL_CONFIG_REPO|LOCAL_SOURCES|RECONCILE_INTERVAL|MAX_FILE_SIZE|LOG_FORMAT)$/;

export interface BotProcess {
  base: string;
  pid: number;
  /** Everything the process printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the /healthz body once the server answers. */
  healthy(): Promise<unknown>;
  /** SIGTERM, then the exit code (null when it was killed by a signal). */
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const p = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return p;
}

/** `cwd`: where the process runs (its `.env` and relative paths); the checkout by default. */
export async function startBotProcess(env: Record<string, string>, opts: { cwd?: string } = {}): Promise<BotProcess> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!SCRUBBED.test(k)) childEnv[k] = v;
  Object.assign(childEnv, { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info' }, env);
  const child: ChildProcess = spawn(process.execPath, [MAIN], { cwd: opts.cwd ?? ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    pid: child.pid!,
    output: () => output,
    async healthy() {
      for (let i = 0; i < 300; i++) {
        if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
        try {
          const res = await fetch(`${base}/healthz`);
          if (res.ok) return res.json();
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`server never became healthy:\n${output}`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      return exited;
    },
  };
}
