// Tag policy: pure functions deciding which tags are acceptable, which is newer, which
// track a release belongs to and what image tag a release writes.
export {
  checkTag,
  compareTags,
  decideTag,
  globToRegExp,
  parseFilter,
  type Filter,
  type FilterKind,
  type MatchOptions,
  type TagCode,
  type TagDecision,
} from './filter.ts';
export { fluxV1Automated, fluxV1Filters, fluxV1Locked, normalizeFluxV1Filter } from './flux-v1.ts';
export {
  checkTagTemplate,
  compareVersions,
  isPrereleaseTag,
  isValidImageTag,
  naturalCompare,
  parseRange,
  parseVersion,
  renderTag,
  versionOf,
  type Version,
  type VersionRange,
} from './tags.ts';
export { decideTrack, type TrackDecision, type TrackSpec } from './track.ts';
