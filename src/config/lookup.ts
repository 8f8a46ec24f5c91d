// Routing from events to apps. `source` is the authorization boundary: only releases of
// that repository may change the app, so matching is exact apart from GitHub's own case
// insensitivity.
import { sameRepository } from '../policy/image.ts';
import type { AppConfig, Config } from './schema.ts';

export interface NamedApp {
  name: string;
  app: AppConfig;
}

/** Apps whose `source` is `ownerRepo` (case-insensitive, as GitHub treats names). */
export function findAppsForSource(config: Config, ownerRepo: string): NamedApp[] {
  const want = ownerRepo.trim().toLowerCase();
  return Object.entries(config.apps)
    .filter(([, app]) => app.source.toLowerCase() === want)
    .map(([name, app]) => ({ name, app }));
}

function same(a: string, b: string): boolean {
  try {
    return sameRepository(a, b);
  } catch {
    // An unparsable reference from an event matches nothing rather than failing routing.
    return false;
  }
}

/** Apps whose `image` is `repository` (`nginx` equals `docker.io/library/nginx`). */
export function findAppsForImage(config: Config, repository: string): NamedApp[] {
  return Object.entries(config.apps)
    .filter(([, app]) => same(app.image, repository))
    .map(([name, app]) => ({ name, app }));
}

/** The first app (in file order) whose `image` is `repository`, if any. */
export function findAppForImage(config: Config, repository: string): NamedApp | undefined {
  return findAppsForImage(config, repository)[0];
}
