// The registry layer: the only code that speaks a container registry's protocol.
export type { Registry } from './types.ts';
export { distributionRegistry, type DistributionOptions } from './distribution.ts';
export { registryFromEnv } from './env.ts';
export { registryAddress } from './address.ts';
