// `images`: every image reference of the config repo, by repository, as the editors find
// them: what `set-image` and a release would change, and the inventory a platform team
// reviews (which workloads still run an old tag, which follow a Flux policy). Read-only;
// it reads the tree under the checkout's lock, as `status` does.
import type { Workspace } from '../git/workspace.ts';
import { workspaceFiles } from '../jobs/run.ts';
import { extractAllImages, type ImageExtract } from '../manifests/image-index.ts';
import type { ImageRef } from '../manifests/types.ts';
import { objectLabel, type Skipped } from '../plan.ts';
import type { Values } from './args.ts';
import { lockCheckout, lockTimeoutMs, type Out } from './checkout.ts';

/** One reference as `--json` prints it. */
interface Listed {
  file: string;
  line: number;
  object: string;
  field: string;
  part: ImageRef['part'];
  tag?: string;
  digest?: string;
  policy?: string;
  filter?: string;
}

export interface ImagesReport {
  repositories: Array<{ repository: string; references: Listed[] }>;
  skipped: Skipped[];
}

export async function imagesCommand(ws: Workspace, v: Values, out: Out, argv: readonly string[]): Promise<number> {
  const lock = await lockCheckout(ws, argv, lockTimeoutMs(v), out);
  let found: ImageExtract;
  try {
    found = await extractAllImages(workspaceFiles(ws));
  } finally {
    await lock.release();
  }
  const report = reportOf(found);
  out.log(v.json ? JSON.stringify(report, null, 2) : imagesText(report));
  for (const s of report.skipped) out.err(`gitops-canary: warning: ${s.file}: not searched (${s.code}): ${s.reason}`);
  return 0;
}

function reportOf(found: ImageExtract): ImagesReport {
  const repositories: ImagesReport['repositories'] = [];
  for (const repository of [...found.byRepository.keys()].sort()) {
    const references = found.byRepository.get(repository)!.map(
      (r): Listed => ({
        file: r.file,
        line: found.lineOf(r.file, r.offset),
        object: objectLabel(r.object),
        field: r.field,
        part: r.part,
        ...(r.tag !== undefined ? { tag: r.tag } : {}),
        ...(r.digest !== undefined ? { digest: r.digest } : {}),
        ...(r.policy !== undefined ? { policy: r.policy } : {}),
        ...(r.filter !== undefined ? { filter: r.filter } : {}),
      }),
    );
    repositories.push({ repository, references });
  }
  return { repositories, skipped: found.skipped };
}

const version = (l: Listed) => [l.tag !== undefined ? `:${l.tag}` : '', l.digest !== undefined ? `@${l.digest}` : ''].join('') || '(no tag)';

/** A repository a block: each reference's version, place and what steers it. */
export function imagesText(report: ImagesReport): string {
  if (report.repositories.length === 0) return 'no image references';
  return report.repositories
    .map(({ repository, references }) => {
      const rows = references.map((l) => {
        const steer = [l.policy && `policy ${l.policy}`, l.filter && `filter ${l.filter}`].filter(Boolean).join(', ');
        const part = l.part === 'ref' ? '' : ` (${l.part})`;
        return `  ${version(l)}  ${l.file}:${l.line}  ${l.object}  ${l.field}${part}${steer ? `  [${steer}]` : ''}`;
      });
      return [`${repository}  (${references.length} reference${references.length === 1 ? '' : 's'})`, ...rows].join('\n');
    })
    .join('\n');
}
