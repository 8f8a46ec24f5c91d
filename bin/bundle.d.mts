// Types of bin/bundle.mjs for the tests that load a bundle through it.
/** What the bundle is written inside: a CommonJS module's function, opened and closed. */
export declare const WRAP: readonly [string, string];
export declare function userCacheFile(bundle: string, env?: NodeJS.ProcessEnv): string | undefined;
export declare function writeCache(file: string, data: Uint8Array): boolean;
export declare function loadBundle(
  bundle: string,
  opts?: { buildCache?: string | null; userCache?: string | undefined },
): { exports: Record<string, unknown>; served: 'user' | 'build' | null; cachedData(): Buffer; save(): boolean };
