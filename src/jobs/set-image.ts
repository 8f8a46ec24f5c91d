// `set-image` and what the config adds to it: the analysis mode of the app the image
// belongs to. The plan itself needs no config (./set-image-plan.ts).
import { analysisMode, type AnalysisMode } from '../analysis/gate.ts';
import { findAppsForImage, loadConfig } from '../config/index.ts';

export { planSetImage } from './set-image-plan.ts';

/** The analysis mode for setting `image` in the checkout at `dir`: the `analysis` of the
 *  app the image belongs to; `warn` only when every app using it says so (one strict app
 *  must not have its routes broken by another's setting). Strict for an image no app
 *  names, and when the config does not load: set-image works without a config. */
export function setImageAnalysis(dir: string, image: string): AnalysisMode {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(dir);
  } catch {
    return 'strict';
  }
  const apps = loaded ? findAppsForImage(loaded.config, image) : [];
  return apps.length > 0 && apps.every((a) => analysisMode(a.app) === 'warn') ? 'warn' : 'strict';
}
