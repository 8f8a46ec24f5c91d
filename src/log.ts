// The bot's logger: pino, formatted as Probot formats it (pretty, or one JSON object a
// line). The one importer of pino and @probot/pino. A pino child's bindings are appended
// to its parent's, so a key both set (Probot names its logger "probot" and each event's
// child "event") came out twice in a JSON line, which log pipelines read differently (the
// first, the last, or a rejected line). Each JSON line is written with every key once,
// the innermost value kept, as JSON.parse reads it.
import { Transform } from 'node:stream';
import { getTransformStream } from '@probot/pino';
import pino, { type Logger } from 'pino';

export type { Logger };

export async function createLog(opts: { level: string; format?: 'json' | 'pretty' }): Promise<Logger> {
  const format = await getTransformStream({ logFormat: opts.format ?? 'pretty' });
  // as Probot does; SonicBoom is a writable stream that its types do not declare as one
  const out = pino.destination(1) as unknown as NodeJS.WritableStream;
  if (opts.format === 'json') format.pipe(onceEachKey()).pipe(out);
  else format.pipe(out);
  return pino({ level: opts.level, messageKey: 'msg' }, format);
}

function onceEachKey(): Transform {
  return new Transform({
    objectMode: true,
    transform(chunk: Buffer | string, _encoding, done) {
      const line = chunk.toString().trim();
      let text = line;
      try {
        text = JSON.stringify(JSON.parse(line));
      } catch {
        // not JSON (pino writes nothing else): passed on as it came
      }
      done(null, `${text}\n`);
    },
  });
}
