// The README example, shared by the config tests.
export const EXAMPLE = `apps:
  podinfo:
    image: ghcr.io/acme/podinfo
    source: acme/podinfo
    tagTemplate: "{version}"
    tracks:
      stable: { filter: "semver:0.1.*", paths: ["apps/podinfo/ga-dep.yaml"] }
      canary: { filter: "semver:0.2.*", paths: ["apps/podinfo/canary-dep.yaml"], prerelease: false }
    traffic:
      file: apps/podinfo/virtual-service.yaml
      route: primary
      stable: { subset: ga }
      canary: { subset: canary }
      steps: [10, 60, 100]
    delivery: pull-request
    branch: main
    merge: manual
    approvals: 1
    mergeMethod: merge
    notify: { slack: SLACK_WEBHOOK_URL_PODINFO, webhook: PODINFO_HOOK_URL }
    rollout:
      steps: [10, 25, 60, 100]
      bake: 15m
      schedule: "*/5 * * * *"
      window: { days: mon-fri, hours: "09:00-17:00", timezone: Europe/Berlin }
      freeze: ["2026-12-20/2027-01-04"]
      approval: per-step
      gates:
        prometheus: { url: http://prometheus:9090, timeout: 10s }
        checks:
          - name: success-rate
            query: sum(rate(istio_requests_total{response_code!~"5.."}[1m])) / sum(rate(istio_requests_total[1m]))
            min: 0.99
          - name: p99-latency-ms
            query: histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket[1m])) by (le))
            max: 500
        failures: 2
      promote: true
`;

/** A minimal valid app, for tests that change one field. */
export const MINIMAL = `apps:
  web:
    image: ghcr.io/acme/web
    source: acme/web
    tracks:
      stable: { filter: "semver:1.*", paths: [deploy/web.yaml] }
`;
