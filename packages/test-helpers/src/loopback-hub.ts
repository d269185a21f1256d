import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HubFixtureCommit, HubFixtureFile, HubFixtureRepo } from './hub-fixture-repo';
import { modelInfoJson, pathsInfoEntries, searchHitJson, treeEntries } from './loopback-hub-api';
import { faultMatches, isBodyFault, sendBody } from './loopback-hub-faults';
import type { ActiveHubFault, HubFault, HubFaultRule } from './loopback-hub-faults';

/** Options of {@link startLoopbackHub}. */
export interface LoopbackHubOptions {
  /** Repositories to serve (more can be added with `addRepo`). @default [] */
  repos?: HubFixtureRepo[];
  /** Bearer tokens the hub knows. Any other token is answered with 401. @default [] */
  validTokens?: string[];
  /** Entries per page of `/tree` answers; more pages are linked with `Link: <...>; rel="next"`. @default 50 */
  treePageSize?: number;
  /**
   * Answer LFS resolves with a 302 to `/cdn/{sha256}` on a second server (another port, so another
   * host for clients, as the hub redirects to its CDN). @default false
   */
  redirectLfs?: boolean;
}

/** One request the loopback hub received. */
export interface HubRequestRecord {
  method: string;
  /** The raw URL pathname (percent-encoded as sent). */
  pathname: string;
  search: string;
  /** The `Range` header, when sent. */
  range?: string;
  /** The `Authorization` header, when sent (tests check which token went out). */
  authorization?: string;
  /** Status code answered (0 until the answer starts). */
  status: number;
  /** Body bytes handed to the socket. */
  bytesSent: number;
  /** The injected fault, if one applied. */
  fault?: HubFault['kind'];
}

/** A running loopback hub. Always `close()` it. */
export interface LoopbackHub {
  /** Base URL, `http://127.0.0.1:PORT`, to use as `hubUrl` / `HF_ENDPOINT`. */
  url: string;
  /** Every request received, in order. */
  requests: HubRequestRecord[];
  addRepo(repo: HubFixtureRepo): void;
  /** Adds a fault rule; the first matching rule with a remaining count applies. */
  addFault(rule: HubFaultRule): ActiveHubFault;
  clearFaults(): void;
  close(): Promise<void>;
}

interface HubAnswerError {
  status: number;
  code?: string;
  message: string;
}

class HubAnswer extends Error {
  constructor(readonly answer: HubAnswerError) {
    super(answer.message);
  }
}

function fail(status: number, code: string | undefined, message: string): never {
  throw new HubAnswer({ status, code, message });
}

/**
 * Starts a real HTTP server on 127.0.0.1 (random port) that speaks the parts of the Hugging Face hub
 * API that `@huggingface/hub` and Python's `huggingface_hub` call: model info (by revision), tree
 * listing with pagination, paths-info, resolve with Range/ETag/`X-Repo-Commit`/`X-Linked-*`, and
 * search. Errors carry `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo).
 *
 * @example
 * ```ts
 * const hub = await startLoopbackHub({ repos: [createHubFixtureRepo({ id: 'a/b', files: { 'x.txt': 'x' } })] });
 * try { await fetch(`${hub.url}/a/b/resolve/main/x.txt`); } finally { await hub.close(); }
 * ```
 */
export async function startLoopbackHub(options: LoopbackHubOptions = {}): Promise<LoopbackHub> {
  const repos = new Map<string, HubFixtureRepo>((options.repos ?? []).map((repo) => [repo.id, repo]));
  const validTokens = new Set(options.validTokens ?? []);
  const pageSize = options.treePageSize ?? 50;
  const faults: ActiveHubFault[] = [];
  const requests: HubRequestRecord[] = [];
  let baseUrl = '';
  let cdnUrl = '';

  function takeFault(method: string, pathname: string, file: string | undefined, statusOnly = false): HubFault | undefined {
    for (const active of faults) {
      if (active.remaining <= 0) continue;
      if (statusOnly && active.rule.fault.kind !== 'status') continue;
      if (method === 'HEAD' && isBodyFault(active.rule.fault)) continue;
      if (!faultMatches(active.rule.match, method, pathname, file)) continue;
      active.remaining -= 1;
      return active.rule.fault;
    }
    return undefined;
  }

  function findRepo(segments: string[], start: number): { repo: HubFixtureRepo; next: number } | undefined {
    const two = segments.slice(start, start + 2).join('/');
    const twoRepo = repos.get(two);
    if (twoRepo !== undefined && segments.length >= start + 2) return { repo: twoRepo, next: start + 2 };
    const one = repos.get(segments[start] ?? '');
    return one === undefined ? undefined : { repo: one, next: start + 1 };
  }

  function checkAccess(repo: HubFixtureRepo, token: string | undefined, files: boolean): void {
    if (token !== undefined && !validTokens.has(token)) fail(401, undefined, 'Invalid credentials in Authorization header');
    const granted = token !== undefined && repo.grantedTokens.includes(token);
    if (repo.private && !granted) {
      fail(token === undefined ? 401 : 404, 'RepoNotFound', `Repository Not Found for url: ${baseUrl}/${repo.id}.`);
    }
    if (files && repo.gated !== false && !granted) {
      if (token === undefined) {
        fail(401, 'GatedRepo', `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      }
      fail(403, 'GatedRepo', `Access to model ${repo.id} is restricted and you are not in the authorized list. Visit ${baseUrl}/${repo.id} to ask for access.`);
    }
  }

  function commitOf(repo: HubFixtureRepo, revision: string): HubFixtureCommit {
    return repo.resolveRevision(revision) ?? fail(404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  }

  function sendJson(response: ServerResponse, body: unknown, headers: Record<string, string> = {}): number {
    const bytes = Buffer.from(JSON.stringify(body));
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': bytes.length, ...headers });
    response.end(bytes);
    return bytes.length;
  }

  async function serveFile(request: IncomingMessage, response: ServerResponse, file: HubFixtureFile, headers: Record<string, string | number>, fault: HubFault | undefined): Promise<number> {
    const size = file.size;
    let body = file.content;
    let status = 200;
    const range = request.headers.range;
    if (range !== undefined) {
      const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      const start = match?.[1] ? Number(match[1]) : 0;
      const end = match?.[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
      if (match === null || start >= size || end < start) {
        response.writeHead(416, { 'Content-Range': `bytes */${size}`, ...headers });
        response.end();
        return 0;
      }
      body = file.content.subarray(start, end + 1);
      status = 206;
      headers = { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}` };
    }
    return sendBody(response, status, { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes', ...headers }, body, fault, request.method === 'HEAD');
  }

  async function route(request: IncomingMessage, response: ServerResponse, url: URL, record: HubRequestRecord): Promise<number> {
    const method = request.method ?? 'GET';
    const segments = url.pathname.split('/').slice(1).map((segment) => decodeURIComponent(segment));
    const token = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const decodedPathname = decodeURIComponent(url.pathname);

    if (segments[0] === 'api') {
      const fault = takeFault(method, decodedPathname, undefined, true);
      if (fault?.kind === 'status') {
        record.fault = fault.kind;
        fail(fault.status, fault.errorCode, fault.message ?? `Injected status ${fault.status}`);
      }
    }

    if (segments[0] === 'api' && segments[1] === 'models') {
      if (segments.length === 2 || (segments.length === 3 && segments[2] === '')) return search(response, url, token);
      const found = findRepo(segments, 2) ?? fail(token === undefined ? 401 : 404, 'RepoNotFound', `Repository Not Found for url: ${url.href}.`);
      const { repo, next } = found;
      checkAccess(repo, token, false);
      const action = segments[next];
      if (action === undefined) return sendJson(response, modelInfoJson(repo, commitOf(repo, repo.defaultBranch)));
      const revision = segments[next + 1] ?? fail(400, undefined, 'Missing revision');
      const commit = commitOf(repo, revision);
      if (action === 'revision') return sendJson(response, modelInfoJson(repo, commit));
      if (action === 'tree') return tree(response, url, repo, commit, revision, segments.slice(next + 2).join('/'));
      if (action === 'paths-info' && method === 'POST') {
        const body = await readJson(request);
        const paths = Array.isArray(body.paths) ? body.paths.filter((path): path is string => typeof path === 'string') : [];
        return sendJson(response, pathsInfoEntries(commit, paths));
      }
      fail(404, undefined, `Unknown endpoint ${url.pathname}`);
    }

    if (segments[0] === 'cdn' && segments[1] !== undefined) {
      const file = [...repos.values()].flatMap((repo) => [...repo.commits.values()]).flatMap((commit) => [...commit.files.values()]).find((candidate) => candidate.sha256 === segments[1]);
      if (file === undefined) fail(404, undefined, 'No such object');
      const fault = takeFault(method, decodedPathname, file.path);
      record.fault = fault?.kind;
      if (fault?.kind === 'status') fail(fault.status, fault.errorCode, fault.message ?? `Injected status ${fault.status}`);
      return serveFile(request, response, file, { ETag: `"${file.sha256}"` }, fault);
    }

    const found = findRepo(segments, 0);
    if (found === undefined || segments[found.next] !== 'resolve') {
      fail(token === undefined ? 401 : 404, 'RepoNotFound', `Repository Not Found for url: ${url.href}.`);
    }
    const { repo, next } = found;
    const filePath = segments.slice(next + 2).join('/');
    const fault = takeFault(method, decodedPathname, filePath);
    record.fault = fault?.kind;
    if (fault?.kind === 'status') fail(fault.status, fault.errorCode, fault.message ?? `Injected status ${fault.status}`);
    checkAccess(repo, token, true);
    const commit = commitOf(repo, segments[next + 1] ?? '');
    const file = commit.files.get(filePath) ?? fail(404, 'EntryNotFound', `Entry not found: ${filePath}`);
    const headers: Record<string, string | number> = { ETag: `"${file.lfs ? file.sha256 : file.gitOid}"`, 'X-Repo-Commit': commit.sha };
    if (file.lfs) {
      headers['X-Linked-Etag'] = `"${file.sha256}"`;
      headers['X-Linked-Size'] = file.size;
      if (options.redirectLfs === true) {
        response.writeHead(302, { ...headers, Location: `${cdnUrl}/cdn/${file.sha256}`, 'Content-Length': 0 });
        response.end();
        return 0;
      }
    }
    return serveFile(request, response, file, headers, fault);
  }

  function tree(response: ServerResponse, url: URL, repo: HubFixtureRepo, commit: HubFixtureCommit, revision: string, folder: string): number {
    const recursive = ['true', '1', 'True'].includes(url.searchParams.get('recursive') ?? '');
    const entries = treeEntries(commit, folder, recursive) ?? fail(404, 'EntryNotFound', `Entry not found: ${folder}`);
    const offset = Number(Buffer.from(url.searchParams.get('cursor') ?? '', 'base64url').toString() || '0');
    const page = entries.slice(offset, offset + pageSize);
    const headers: Record<string, string> = {};
    if (offset + pageSize < entries.length) {
      const nextUrl = new URL(`${baseUrl}/api/models/${repo.id}/tree/${encodeURIComponent(revision)}${folder === '' ? '' : `/${folder}`}`);
      nextUrl.searchParams.set('recursive', String(recursive));
      nextUrl.searchParams.set('expand', 'false');
      nextUrl.searchParams.set('cursor', Buffer.from(String(offset + pageSize)).toString('base64url'));
      headers.Link = `<${nextUrl.href}>; rel="next"`;
    }
    return sendJson(response, page, headers);
  }

  function search(response: ServerResponse, url: URL, token: string | undefined): number {
    const query = (url.searchParams.get('search') ?? '').toLowerCase();
    const author = url.searchParams.get('author');
    const task = url.searchParams.get('pipeline_tag');
    const limit = Number(url.searchParams.get('limit') ?? '1000');
    const hits = [...repos.values()]
      .filter((repo) => !repo.private || (token !== undefined && repo.grantedTokens.includes(token)))
      .filter((repo) => repo.id.toLowerCase().includes(query))
      .filter((repo) => author === null || repo.id.startsWith(`${author}/`))
      .filter((repo) => task === null || repo.pipelineTag === task)
      .sort((a, b) => b.downloads - a.downloads)
      .slice(0, limit);
    return sendJson(response, hits.map(searchHitJson));
  }

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const record: HubRequestRecord = { method: request.method ?? 'GET', pathname: url.pathname, search: url.search, status: 0, bytesSent: 0 };
    if (request.headers.range !== undefined) record.range = request.headers.range;
    if (request.headers.authorization !== undefined) record.authorization = request.headers.authorization;
    requests.push(record);
    route(request, response, url, record)
      .then((bytes) => {
        record.status = response.statusCode;
        record.bytesSent = bytes;
      })
      .catch((error: unknown) => {
        const answer: HubAnswerError = error instanceof HubAnswer ? error.answer : { status: 500, message: String(error) };
        record.status = answer.status;
        if (response.headersSent) {
          response.destroy();
          return;
        }
        const body = Buffer.from(JSON.stringify({ error: answer.message }));
        const headers: Record<string, string | number> = { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'X-Error-Message': answer.message };
        if (answer.code !== undefined) headers['X-Error-Code'] = answer.code;
        response.writeHead(answer.status, headers);
        response.end(request.method === 'HEAD' ? undefined : body);
      });
  };

  const servers = [createServer(handler)];
  if (options.redirectLfs === true) servers.push(createServer(handler));
  const urls: string[] = [];
  for (const server of servers) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  baseUrl = urls[0] ?? '';
  cdnUrl = urls[1] ?? baseUrl;

  return {
    url: baseUrl,
    requests,
    addRepo(repo) {
      repos.set(repo.id, repo);
    },
    addFault(rule) {
      const active: ActiveHubFault = { rule, remaining: rule.times ?? Number.POSITIVE_INFINITY };
      faults.push(active);
      return active;
    },
    clearFaults() {
      faults.length = 0;
    },
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve, reject) => {
              server.close((error) => (error ? reject(error) : resolve()));
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
