import { createHash } from 'node:crypto';
import os from 'node:os';

/** `<pid>-<host>` in a directory name: which process on which machine owns it. */
const ownerTagPattern = /(?:^|[.-])(\d+)-h([0-9a-f]{6})-[0-9a-f]+$/;

function hostTag(): string {
  return createHash('sha256').update(os.hostname()).digest('hex').slice(0, 6);
}

/**
 * The owner tag of this process, `<pid>-h<host hash>`, for the names of the temporary directories it
 * writes (cache staging, `<output>.incomplete-...`), so that a later run can tell a directory
 * abandoned by a killed process from one a live process is still filling.
 *
 * @example
 * ```ts
 * const directory = `${output}.incomplete-${ownerProcessTag()}-${randomBytes(4).toString('hex')}`;
 * ```
 */
export function ownerProcessTag(): string {
  return `${process.pid}-h${hostTag()}`;
}

/**
 * True when `name` ends with `<owner tag>-<random hex>` (as written with {@link ownerProcessTag})
 * and that owner was a process on this machine that no longer runs. False when the owner runs, runs
 * on another machine, or the name carries no owner tag: such directories are never swept.
 *
 * @example
 * ```ts
 * if (isAbandonedByOwner(name)) await rm(path.join(parent, name), { recursive: true, force: true });
 * ```
 */
export function isAbandonedByOwner(name: string): boolean {
  const match = ownerTagPattern.exec(name);
  if (match === null || match[2] !== hostTag()) return false;
  const pid = Number(match[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
