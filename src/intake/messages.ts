// What the intake thread and the thread running the handlers say to each other.
import type { RegistryKind, RegistryPush } from './registry-hooks.ts';
import type { DeliveryCount, Outcome } from './webhook.ts';

/** A page the handlers' thread renders (/readyz, /metrics, the status page). */
export interface PageAnswer {
  status: number;
  contentType: string;
  body: string | Uint8Array;
}

export interface IntakeConfig {
  port: number;
  host: string;
  mode: string;
  secret: string;
  maxBodyBytes: number;
  /** How many bodies over 1 MB may be buffered at once (each up to maxBodyBytes). */
  largeBodySlots: number;
  bodyTimeoutMs: number;
  answerWithinMs: number;
  /** /healthz fails when the handlers' thread has not checked in for this long. */
  stallMs: number;
  /** REGISTRY_WEBHOOK_TOKEN: registry push notifications are accepted only with it. */
  registrySecret?: string;
  /** A page the handlers' thread has not answered within this long is answered 503. */
  pageTimeoutMs: number;
}

export type ToIntake =
  | { type: 'outcome'; seq: number; outcome: Outcome }
  | { type: 'page-answer'; seq: number; answer: PageAnswer | null }
  | { type: 'beat' }
  | { type: 'close' };

export type FromIntake =
  | { type: 'listening'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'delivery'; seq: number; id: string; name: string; body: ArrayBuffer; receivedAt?: number }
  | { type: 'page'; seq: number; path: string; query: string }
  | { type: 'count'; count: DeliveryCount }
  | { type: 'registry'; kind: RegistryKind; pushes: RegistryPush[] }
  | { type: 'log'; level: 'info' | 'warn'; obj: object; msg: string }
  | { type: 'closed' };
