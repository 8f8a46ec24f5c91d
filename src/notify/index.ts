// Public surface of the notification subsystem.

export type { Check, Notice, NoticeKind, Notifier, NotifyLogger, Weights } from './types.ts';
export { NOTICE_KINDS } from './types.ts';
export { Dispatcher, isRetryable } from './dispatch.ts';
export type { DispatcherOptions } from './dispatch.ts';
export { createNotifier, notifiersFromEnv, NOTIFIER_KINDS } from './registry.ts';
export type { AppNotify, NotifierKind, NotifierOptions, NotifiersFromEnv } from './registry.ts';
export { DeliveryError, isRetryableStatus, parseRetryAfter } from './delivery.ts';
export { redact, redactDeep } from './redact.ts';
export { blocks, summary } from './render.ts';
export type { SlackBlock, TextObject } from './render.ts';
export { SlackNotifier } from './slack.ts';
export type { SlackOptions } from './slack.ts';
export { WebhookNotifier, webhookBody } from './webhook.ts';
export type { WebhookBody, WebhookOptions } from './webhook.ts';
export { NoopNotifier } from './noop.ts';
