// Used when no target is configured, so callers never branch on "is Slack set up?".

import type { Notice, Notifier } from './types.ts';

export class NoopNotifier implements Notifier {
  readonly name = 'noop';

  async send(_notice: Notice): Promise<void> {}
}
