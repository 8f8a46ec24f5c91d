// The explicit list of editors. Adding a target kind means adding a file and a line
// here; asking for a kind that is not listed is an error, never a silent no-op.
import { EditError } from '../errors.ts';
import type { ObjectRef } from '../plan.ts';
import type { FluxPolicy } from './flux-policies.ts';
import { createFluxMarkerEditor } from './flux-markers.ts';
import { gatewayHttpRoute } from './gateway-httproute.ts';
import { istioVirtualService } from './istio-virtualservice.ts';
import { createKustomizeImageEditor } from './kustomize-images.ts';
import type { ImageEditor, TrafficEditor } from './types.ts';
import { createWorkloadImageEditor } from './workload-images.ts';

export const TRAFFIC_EDITORS: readonly TrafficEditor[] = [istioVirtualService, gatewayHttpRoute];

/** Image editors for one run: the Flux marker editor needs the repo's ImagePolicies. */
export function imageEditors(policies: Map<string, FluxPolicy>): ImageEditor[] {
  return [createWorkloadImageEditor(policies), createKustomizeImageEditor(policies), createFluxMarkerEditor(policies)];
}

export function trafficEditorFor(object: ObjectRef, where: { file: string }): TrafficEditor {
  const editor = TRAFFIC_EDITORS.find((e) => e.handles(object));
  if (!editor) {
    throw new EditError('EDIT_UNKNOWN_KIND', `no traffic editor for ${object.apiVersion ?? '?'} ${object.kind} (supported: Istio VirtualService, Gateway API HTTPRoute)`, {
      file: where.file,
      object: `${object.kind}/${object.name}`,
    });
  }
  return editor;
}
