import { describe, expect, it } from 'vitest';
import { applyAndConfirm, parseManifest } from '../../src/manifests/parse.ts';
import { workloadImages } from '../../src/manifests/workload-images.ts';
import { EditError } from '../../src/errors.ts';

const ANCHORED = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: &img nginx:1.25
        - name: copy
          image: *img
`;

describe('the confirm step', () => {
  it('refuses to edit an anchored value, whose aliases would change too', () => {
    const file = parseManifest('web.yaml', ANCHORED);
    const [ref] = workloadImages.find(file, 'nginx');
    const change = workloadImages.set(file, ref, { tag: '1.26' });
    expect(change).not.toBeNull();
    let err: unknown;
    try {
      applyAndConfirm(file, [change!]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EditError);
    expect((err as EditError).code).toBe('EDIT_ANCHORED');
    expect((err as EditError).message).toContain('web.yaml:10');
  });

  it('names each document by its kind and metadata without converting it to plain data', () => {
    const file = parseManifest('two.yaml', `kind: Service\nmetadata: {name: a, namespace: ns}\n---\n- not an object\n`);
    expect(file.docs[0].object).toEqual({ apiVersion: undefined, kind: 'Service', namespace: 'ns', name: 'a' });
    expect(file.docs[1].object).toBeUndefined();
    expect(file.docs[1].value).toEqual(['not an object']);
  });
});
