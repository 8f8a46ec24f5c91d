// Where the bot's config lives, apart from the schema that reads it: a command that runs
// without a config (set-image) can tell there is none without loading the schema.
export const CONFIG_FILES = ['.github/gitops-canary.yml', '.github/gitops-canary.yaml'] as const;
