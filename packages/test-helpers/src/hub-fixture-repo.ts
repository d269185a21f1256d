import { createHash } from 'node:crypto';

/** Contents of a fixture repository: repo path -> bytes (strings are UTF-8). */
export type HubFixtureFiles = Record<string, Buffer | string>;

/** Options of {@link createHubFixtureRepo}. */
export interface HubFixtureRepoOptions {
  /** Repository id, `org/name` (or a bare `name`). */
  id: string;
  /** Files of the default branch. */
  files: HubFixtureFiles;
  /** Paths stored as LFS files (served with a sha256 ETag and `X-Linked-*` headers). @default [] */
  lfs?: string[];
  /** Name of the default branch. @default "main" */
  defaultBranch?: string;
  /** More branches, each with its own complete file set. Every path listed in `lfs` is LFS there too. */
  branches?: Record<string, HubFixtureFiles>;
  /** Tags: tag name -> branch name. */
  tags?: Record<string, string>;
  /** Gated repository: files need a token listed in `grantedTokens`. @default false */
  gated?: false | 'auto' | 'manual';
  /** Private repository: everything needs a token listed in `grantedTokens`. @default false */
  private?: boolean;
  /** Tokens that may read a private repo or that accepted a gated repo's terms. @default [] */
  grantedTokens?: string[];
  pipelineTag?: string;
  license?: string;
  libraryName?: string;
  /** Hub tags (`pytorch`, `safetensors`, ...). @default [] */
  hubTags?: string[];
  /** @default 0 */
  downloads?: number;
  /** @default 0 */
  likes?: number;
}

/** One file of a fixture commit, with the hashes the hub reports for it. */
export interface HubFixtureFile {
  path: string;
  content: Buffer;
  size: number;
  /** Lowercase hex sha256 of the content. */
  sha256: string;
  lfs: boolean;
  /** Git blob id: of the content for regular files, of the LFS pointer file for LFS files. */
  gitOid: string;
  /** Size of the LFS pointer file (LFS files only). */
  pointerSize?: number;
}

/** A commit of a fixture repository. */
export interface HubFixtureCommit {
  sha: string;
  files: Map<string, HubFixtureFile>;
}

/** A repository served by the loopback hub. Built by {@link createHubFixtureRepo}. */
export interface HubFixtureRepo {
  id: string;
  defaultBranch: string;
  gated: false | 'auto' | 'manual';
  private: boolean;
  grantedTokens: string[];
  pipelineTag?: string;
  license?: string;
  libraryName?: string;
  hubTags: string[];
  downloads: number;
  likes: number;
  /** Branch and tag names -> commit sha. */
  refs: Map<string, string>;
  commits: Map<string, HubFixtureCommit>;
  /** The commit a branch, tag or full sha names, or undefined. */
  resolveRevision(revision: string): HubFixtureCommit | undefined;
}

/** Git's blob id of some bytes: sha1 of `blob <size>\0<bytes>`. */
export function gitBlobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * Builds a fixture repository for {@link startLoopbackHub} from files held in memory. Commit shas
 * are derived from the content, so the same files give the same sha.
 *
 * @example
 * ```ts
 * const repo = createHubFixtureRepo({
 *   id: 'tiny/bert',
 *   files: { 'config.json': '{"model_type":"bert"}', 'model.safetensors': randomBytes(4096) },
 *   lfs: ['model.safetensors'],
 * });
 * ```
 */
export function createHubFixtureRepo(options: HubFixtureRepoOptions): HubFixtureRepo {
  if (typeof options.id !== 'string' || options.id === '') {
    throw new TypeError(`createHubFixtureRepo: "id" must be a non-empty string, received ${String(options.id)}`);
  }
  const lfsPaths = new Set(options.lfs ?? []);
  const defaultBranch = options.defaultBranch ?? 'main';
  const branches: Record<string, HubFixtureFiles> = { ...(options.branches ?? {}), [defaultBranch]: options.files };
  const refs = new Map<string, string>();
  const commits = new Map<string, HubFixtureCommit>();
  for (const [branch, files] of Object.entries(branches)) {
    const commit = buildCommit(options.id, branch, files, lfsPaths);
    commits.set(commit.sha, commit);
    refs.set(branch, commit.sha);
  }
  for (const [tag, branch] of Object.entries(options.tags ?? {})) {
    const sha = refs.get(branch);
    if (sha === undefined) throw new RangeError(`createHubFixtureRepo: tag "${tag}" names unknown branch "${branch}"`);
    refs.set(tag, sha);
  }
  return {
    id: options.id,
    defaultBranch,
    gated: options.gated ?? false,
    private: options.private ?? false,
    grantedTokens: options.grantedTokens ?? [],
    pipelineTag: options.pipelineTag,
    license: options.license,
    libraryName: options.libraryName,
    hubTags: options.hubTags ?? [],
    downloads: options.downloads ?? 0,
    likes: options.likes ?? 0,
    refs,
    commits,
    resolveRevision(revision: string): HubFixtureCommit | undefined {
      if (revision === 'HEAD') revision = defaultBranch;
      const sha = refs.get(revision) ?? revision;
      return commits.get(sha);
    },
  };
}

function buildCommit(id: string, branch: string, files: HubFixtureFiles, lfsPaths: Set<string>): HubFixtureCommit {
  const built = new Map<string, HubFixtureFile>();
  for (const [path, raw] of Object.entries(files)) {
    const content = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    const sha256 = createHash('sha256').update(content).digest('hex');
    const lfs = lfsPaths.has(path);
    if (lfs) {
      const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${content.length}\n`);
      built.set(path, { path, content, size: content.length, sha256, lfs, gitOid: gitBlobId(pointer), pointerSize: pointer.length });
    } else {
      built.set(path, { path, content, size: content.length, sha256, lfs, gitOid: gitBlobId(content) });
    }
  }
  const commitHash = createHash('sha1').update(`${id}\n${branch}\n`);
  for (const file of [...built.values()].sort((a, b) => a.path.localeCompare(b.path))) {
    commitHash.update(`${file.path}\0${file.gitOid}\n`);
  }
  return { sha: commitHash.digest('hex'), files: built };
}
