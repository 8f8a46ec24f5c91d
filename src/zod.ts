// The only importer of zod: the config schema and the webhook payload shapes both take it
// from here, so one version and one set of settings serve both.
export { z } from 'zod';
