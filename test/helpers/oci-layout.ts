// A tiny OCI image layout on disk for `skopeo copy oci:<dir>:<ref> docker://…`: one
// single-platform image (a config blob and one gzip layer) and one multi-arch index over
// two platform images, each reachable under its own ref name.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export interface OciLayout {
  dir: string;
  /** Ref name of the single-platform image, and its manifest's digest. */
  single: { ref: string; digest: string };
  /** Ref name of the multi-arch index, and the index's digest. */
  multi: { ref: string; digest: string };
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A one-file tar archive (ustar), enough for a layer. */
function tarOf(name: string, content: string): Buffer {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, pad, Buffer.alloc(1024)]);
}

export async function writeOciLayout(dir: string): Promise<OciLayout> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (b: Buffer) => {
    const d = sha(b);
    await writeFile(path.join(blobs, d.slice(7)), b);
    return { digest: d, size: b.length };
  };
  const image = async (arch: string) => {
    const tar = tarOf('hello.txt', `hello from ${arch}\n`);
    const layer = await put(gzipSync(tar));
    const config = await put(Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(tar)] }, config: {} })));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    }));
    return { ...(await put(manifest)), arch };
  };
  const amd64 = await image('amd64');
  const arm64 = await image('arm64');
  const indexBody = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [amd64, arm64].map((m) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: m.digest, size: m.size, platform: { architecture: m.arch, os: 'linux' } })),
  }));
  const index = await put(indexBody);
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: amd64.digest, size: amd64.size, annotations: { 'org.opencontainers.image.ref.name': 'single' } },
      { mediaType: 'application/vnd.oci.image.index.v1+json', digest: index.digest, size: index.size, annotations: { 'org.opencontainers.image.ref.name': 'multi' } },
    ],
  }));
  return { dir, single: { ref: 'single', digest: amd64.digest }, multi: { ref: 'multi', digest: index.digest } };
}
