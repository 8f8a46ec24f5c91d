// The explicit list of editors. Adding a target kind means adding a file and a line
// here; asking for a kind that is not listed is an error, never a silent no-op.
import type { FluxPolicy } from './flux-policies.ts';
import { createFluxMarkerEditor } from './flux-markers.ts';
import { gatewayHttpRoute } from './gateway-httproute.ts';
import { createHelmValuesEditor } from './helm-values.ts';
import { istioVirtualService } from './istio-virtualservice.ts';
import { createKustomizeImageEditor } from './kustomize-images.ts';
import type { ImageEditor, TrafficEditor } from './types.ts';
import { createWorkloadImageEditor } from './workload-images.ts';

export const TRAFFIC_EDITORS: readonly TrafficEditor[] = [istioVirtualService, gatewayHttpRoute];

/** Image editors for one run: the Flux marker editor needs the repo's ImagePolicies. */
export function imageEditors(policies: Map<string, FluxPolicy>): ImageEditor[] {
  return [createWorkloadImageEditor(policies), createKustomizeImageEditor(policies), createFluxMarkerEditor(policies), createHelmValuesEditor()];
}
