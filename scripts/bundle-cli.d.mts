// Types of scripts/bundle-cli.mjs for the tests that build a bundle of their own.
export declare const BUNDLE_DIR: string;
export declare function bundleCli(root: string, out: string): Promise<boolean>;
