import type { HubFixtureCommit, HubFixtureFile, HubFixtureRepo } from './hub-fixture-repo';

/** A `/tree` or `/paths-info` entry, shaped like the hub's. */
export interface HubTreeEntry {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
}

const fixedDate = '2026-01-02T03:04:05.000Z';

/** `GET /api/models/{id}[/revision/{rev}]` body. */
export function modelInfoJson(repo: HubFixtureRepo, commit: HubFixtureCommit): Record<string, unknown> {
  const configFile = commit.files.get('config.json');
  let config: Record<string, unknown> | undefined;
  if (configFile !== undefined) {
    try {
      const parsed: unknown = JSON.parse(configFile.content.toString('utf8'));
      if (typeof parsed === 'object' && parsed !== null) {
        const { architectures, model_type, auto_map } = parsed as Record<string, unknown>;
        config = { architectures, model_type, auto_map };
      }
    } catch {
      config = undefined;
    }
  }
  return {
    _id: `fixture-${repo.id}`,
    id: repo.id,
    modelId: repo.id,
    author: repo.id.includes('/') ? repo.id.split('/')[0] : undefined,
    sha: commit.sha,
    private: repo.private,
    gated: repo.gated,
    disabled: false,
    pipeline_tag: repo.pipelineTag,
    library_name: repo.libraryName,
    tags: repo.hubTags,
    downloads: repo.downloads,
    likes: repo.likes,
    lastModified: fixedDate,
    createdAt: fixedDate,
    cardData: { license: repo.license },
    config,
    siblings: [...commit.files.keys()].sort().map((rfilename) => ({ rfilename })),
  };
}

/** Search hit body for `GET /api/models?search=`. */
export function searchHitJson(repo: HubFixtureRepo): Record<string, unknown> {
  return {
    _id: `fixture-${repo.id}`,
    id: repo.id,
    modelId: repo.id,
    private: repo.private,
    gated: repo.gated,
    pipeline_tag: repo.pipelineTag,
    library_name: repo.libraryName,
    tags: repo.hubTags,
    downloads: repo.downloads,
    likes: repo.likes,
    lastModified: fixedDate,
    createdAt: fixedDate,
  };
}

function fileEntry(file: HubFixtureFile): HubTreeEntry {
  const entry: HubTreeEntry = { type: 'file', oid: file.gitOid, size: file.size, path: file.path };
  if (file.lfs) entry.lfs = { oid: file.sha256, size: file.size, pointerSize: file.pointerSize ?? 0 };
  return entry;
}

function directoryEntry(path: string): HubTreeEntry {
  return { type: 'directory', oid: `dir-${path}`.padEnd(40, '0').slice(0, 40), size: 0, path };
}

/** Directories implied by the commit's file paths. */
function directoriesOf(commit: HubFixtureCommit): Set<string> {
  const directories = new Set<string>();
  for (const path of commit.files.keys()) {
    const parts = path.split('/');
    for (let index = 1; index < parts.length; index += 1) directories.add(parts.slice(0, index).join('/'));
  }
  return directories;
}

/**
 * Entries under `folder` ('' for the root), sorted by path, directories included. Undefined when
 * `folder` is not a directory of the commit.
 */
export function treeEntries(commit: HubFixtureCommit, folder: string, recursive: boolean): HubTreeEntry[] | undefined {
  const directories = directoriesOf(commit);
  if (folder !== '' && !directories.has(folder)) return undefined;
  const prefix = folder === '' ? '' : `${folder}/`;
  const within = (path: string): boolean => path.startsWith(prefix) && (recursive || !path.slice(prefix.length).includes('/'));
  const entries: HubTreeEntry[] = [];
  for (const directory of directories) if (within(directory)) entries.push(directoryEntry(directory));
  for (const file of commit.files.values()) if (within(file.path)) entries.push(fileEntry(file));
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** `POST /api/models/{id}/paths-info/{rev}` entries: existing paths only, in request order. */
export function pathsInfoEntries(commit: HubFixtureCommit, paths: string[]): HubTreeEntry[] {
  const directories = directoriesOf(commit);
  const entries: HubTreeEntry[] = [];
  for (const path of paths) {
    const file = commit.files.get(path);
    if (file !== undefined) entries.push(fileEntry(file));
    else if (directories.has(path)) entries.push(directoryEntry(path));
  }
  return entries;
}
