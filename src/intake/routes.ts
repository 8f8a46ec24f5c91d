// The intake's HTTP server as both ways of running it build it: the GitHub webhook intake
// and the registry hooks behind one set of limits (one large-body slot between them).
import type { Server } from 'node:http';
import { LargeBodySlots } from './body.ts';
import { createHttpServer, type Health } from './http.ts';
import type { IntakeConfig } from './messages.ts';
import { createPageRoute, type PageSource } from './pages.ts';
import type { RegistryKind, RegistryPush } from './registry-hooks.ts';
import { createRegistryIntake, REGISTRY_BODY_BYTES } from './registry-intake.ts';
import { createIntake, type DeliveryCount, type IntakeOptions, type IntakeLog } from './webhook.ts';

export interface IntakeRoutes {
  dispatch: IntakeOptions['dispatch'];
  pushed(kind: RegistryKind, pushes: RegistryPush[]): void;
  health: Health;
  log: IntakeLog;
  /** The pages the handlers' thread renders. */
  page: PageSource;
  /** Deliveries for the metrics, refusals included. */
  count(c: DeliveryCount): void;
}

export function createIntakeServer(cfg: IntakeConfig, routes: IntakeRoutes): Server {
  const slots = new LargeBodySlots(cfg.largeBodySlots);
  const webhook = createIntake({
    secret: cfg.secret,
    limits: { maxBytes: cfg.maxBodyBytes, timeoutMs: cfg.bodyTimeoutMs, slots },
    answerWithinMs: cfg.answerWithinMs,
    log: routes.log,
    dispatch: routes.dispatch,
    count: routes.count,
  });
  const registry = createRegistryIntake({
    secret: cfg.registrySecret,
    limits: { maxBytes: REGISTRY_BODY_BYTES, timeoutMs: cfg.bodyTimeoutMs, slots },
    log: routes.log,
    pushed: routes.pushed,
    count: routes.count,
  });
  return createHttpServer({ health: routes.health, webhook, registry, page: createPageRoute(routes.page, cfg.pageTimeoutMs) });
}
