import { it } from 'vitest';
import { configRepo } from '../../helpers/cli.ts';
it('explore', async () => {
  const r = await configRepo();
  const steps = [
    ['status'], ['set-weight','podinfo','10'], ['set-weight','podinfo','60'], ['set-weight','podinfo','100'],
    ['release','ghcr.io/example/podinfo:v0.2.1','--source','example/podinfo'],
    ['release','ghcr.io/example/podinfo:v0.1.1','--source','example/podinfo'],
    ['release','ghcr.io/example/podinfo:v0.1.0','--source','example/podinfo'],
    ['rollback','podinfo'],
    ['release','ghcr.io/example/podinfo:v0.1.1','--source','example/podinfo'],
    ['release','ghcr.io/example/podinfo:v0.1.2','--source','example/podinfo'],
    ['status'],
  ];
  for (const s of steps) { const x = await r.run(...s); console.log('$', s.join(' '), '=>', x.code, '\n', x.out, '\nERR', x.err); }
  for (const c of await r.remoteLog()) console.log(c.message, '----');
  await r.cleanup();
}, 120000);
