/**
 * The package layering (README "Package layers"), checked two ways: the Nx project graph has
 * exactly the allowed edges, and ESLint's `@nx/enforce-module-boundaries` rejects an import that
 * breaks the layering.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repositoryRoot = path.resolve(__dirname, '..', '..', '..');
const nxEnvironment = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

/**
 * Allowed dependencies between the published packages (tf-adapter's edge to @gpux/onnx comes from
 * its tests, which read the exported models).
 */
const expectedEdges: Record<string, string[]> = {
  '@gpux/model-manager': [],
  '@gpux/onnx': [],
  '@gpux/hf-manager': ['@gpux/model-manager'],
  '@gpux/converter-core': ['@gpux/model-manager', '@gpux/onnx'],
  '@gpux/pytorch-adapter': ['@gpux/converter-core', '@gpux/onnx'],
  '@gpux/tf-adapter': ['@gpux/converter-core', '@gpux/onnx'],
  '@gpux/optimizer': ['@gpux/converter-core', '@gpux/onnx'],
  '@gpux/cli': ['@gpux/converter-core', '@gpux/hf-manager', '@gpux/model-manager', '@gpux/onnx', '@gpux/optimizer', '@gpux/pytorch-adapter', '@gpux/tf-adapter'],
};

describe('package layering', () => {
  it('the Nx project graph has exactly the allowed edges between published packages (dev-only test helpers aside)', () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gpux-graph-'));
    try {
      const file = path.join(scratch, 'graph.json');
      execFileSync('npx', ['nx', 'graph', `--file=${file}`], { cwd: repositoryRoot, env: nxEnvironment, stdio: 'ignore' });
      const graph = (JSON.parse(fs.readFileSync(file, 'utf8')) as { graph: { dependencies: Record<string, Array<{ target: string; type: string }>> } }).graph;
      const published = new Set(Object.keys(expectedEdges));
      const actual: Record<string, string[]> = {};
      for (const project of published) {
        const targets = (graph.dependencies[project] ?? []).map((edge) => edge.target).filter((target) => published.has(target));
        actual[project] = [...new Set(targets)].sort();
      }
      expect(actual).toEqual(expectedEdges);
      // Nothing imports the CLI (the packaging check's implicit edges only order its builds), and the
      // private test helpers depend on no @gpux package.
      for (const [project, edges] of Object.entries(graph.dependencies)) {
        const importsCli = edges.some((edge) => edge.target === '@gpux/cli' && edge.type !== 'implicit');
        expect({ project, importsCli }).toEqual({ project, importsCli: false });
      }
      expect((graph.dependencies['@gpux/test-helpers'] ?? []).map((edge) => edge.target)).toEqual([]);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('lint rejects an adapter importing another adapter or the CLI', () => {
    const probe = path.join(repositoryRoot, 'packages', 'pytorch-adapter', 'src', `layering-probe-${process.pid}.ts`);
    fs.writeFileSync(probe, "import { tensorflowAdapter } from '@gpux/tf-adapter';\nimport { runCli } from '@gpux/cli';\nexport const probe = [tensorflowAdapter, runCli];\n");
    try {
      const result = spawnSync('npx', ['eslint', '--format', 'json', path.relative(repositoryRoot, probe)], { cwd: repositoryRoot, env: nxEnvironment, encoding: 'utf8' });
      expect(result.status).toBe(1);
      const [report] = JSON.parse(result.stdout) as Array<{ messages: Array<{ ruleId: string | null; line: number }> }>;
      const boundaryLines = report!.messages.filter((message) => message.ruleId === '@nx/enforce-module-boundaries').map((message) => message.line);
      expect(new Set(boundaryLines)).toEqual(new Set([1, 2]));
    } finally {
      fs.rmSync(probe, { force: true });
    }
  });
});
