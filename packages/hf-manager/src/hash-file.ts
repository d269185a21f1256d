import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Size and hashes of a file on disk. */
export interface FileDigest {
  size: number;
  /** Lowercase hex sha256. */
  sha256: string;
  /** Git blob id: sha1 of `blob <size>\0<content>`. */
  gitOid: string;
}

/** Streams `file` once, computing its sha256 and its git blob id. */
export async function hashFile(file: string): Promise<FileDigest> {
  const { size } = await stat(file);
  const sha256 = createHash('sha256');
  const sha1 = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(file)) {
    sha256.update(chunk as Buffer);
    sha1.update(chunk as Buffer);
  }
  return { size, sha256: sha256.digest('hex'), gitOid: sha1.digest('hex') };
}
