export {
  APP_NAME,
  CONFIG_FILES,
  DEFAULT_SCHEDULE,
  TRACK_NAME,
  configSchema,
  rolloutStepList,
  rolloutSteps,
  trafficStepList,
  trafficSteps,
  validateConfigValue,
  type AppConfig,
  type BackendConfig,
  type Config,
  type ConfigInput,
  type GateCheck,
  type GatesConfig,
  type NotifyConfig,
  type RolloutConfig,
  type SchemaIssue,
  type TrackConfig,
  type TrafficConfig,
  type WindowConfig,
} from './schema.ts';
export { ConfigValidationError, DEFAULT_CONFIG_FILE, fieldPath, formatIssue, loadConfig, parseConfig, type ConfigIssue } from './load.ts';
export { checkConfigPaths, isGlob, resolveRepoPath, staticPathProblem, staticPrefix } from './paths.ts';
export { configJsonSchema } from './json-schema.ts';
export { findAppForImage, findAppsForImage, findAppsForSource, type NamedApp } from './lookup.ts';
export { checkConfigAgainstRepo, formatRepoIssue, refuseRepoErrors, type RepoCheckOptions, type RepoIssue } from './repo-checks.ts';
