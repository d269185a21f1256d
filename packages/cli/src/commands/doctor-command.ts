import { createRequire } from 'node:module';
import { inspectPythonEnvironment, type PythonEnvironmentReport } from '@gpux/converter-core';
import type { Command } from 'commander';
import { cliInvocation, withCliInvocation } from '../cli-invocation';
import { EXIT_CODES } from '../exit-codes';
import { requirementSets } from '../requirement-sets';
import { runCommand } from '../run-command';

interface DoctorOptions {
  cacheDir?: string;
  python?: string;
  json?: boolean;
}

/** What `gpux-convert doctor` found. */
export interface DoctorReport {
  node: { version: string; ok: boolean; fix?: string };
  onnxruntimeNode: { installed: boolean; version?: string; problem?: string; fix?: string };
  environments: PythonEnvironmentReport[];
  ok: boolean;
}

const minimumNodeMajor = 20;

/** Collects the doctor report: Node, onnxruntime-node and each Python environment. */
export async function collectDoctorReport(options: { cacheDirectory?: string; pythonExecutable?: string } = {}): Promise<DoctorReport> {
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  const node = { version: process.versions.node, ok: nodeMajor >= minimumNodeMajor, ...(nodeMajor >= minimumNodeMajor ? {} : { fix: `Install Node.js ${minimumNodeMajor} or newer.` }) };
  const onnxruntimeNode = inspectOnnxRuntimeNode();
  const environments: PythonEnvironmentReport[] = [];
  for (const requirements of Object.values(requirementSets)) {
    environments.push(await inspectPythonEnvironment(requirements, { ...(options.cacheDirectory ? { cacheDirectory: options.cacheDirectory } : {}), ...(options.pythonExecutable ? { pythonExecutable: options.pythonExecutable } : {}) }));
  }
  const ok = node.ok && onnxruntimeNode.installed && environments.every((environment) => environment.status === 'complete' || (environment.status === 'external' && environment.missingPackages.length === 0));
  return { node, onnxruntimeNode, environments, ok };
}

function inspectOnnxRuntimeNode(): DoctorReport['onnxruntimeNode'] {
  const requireFromHere = createRequire(__filename);
  const fix = 'npm install onnxruntime-node';
  let version: string | undefined;
  try {
    version = (requireFromHere('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return { installed: false, problem: 'onnxruntime-node is not installed (needed for validation, optimization and benchmarks).', fix };
  }
  try {
    requireFromHere('onnxruntime-node');
    return { installed: true, version };
  } catch (error) {
    return { installed: false, version, problem: `onnxruntime-node ${version} is installed but does not load: ${(error as Error).message}`, fix: `npm rebuild onnxruntime-node (or ${fix})` };
  }
}

/** Formats the report for a terminal. */
export function formatDoctorReport(report: DoctorReport): string {
  const mark = (ok: boolean) => (ok ? 'ok     ' : 'MISSING');
  const lines = [`${mark(report.node.ok)} node ${report.node.version}${report.node.fix ? `  -> ${report.node.fix}` : ''}`];
  const runtime = report.onnxruntimeNode;
  lines.push(`${mark(runtime.installed)} onnxruntime-node ${runtime.version ?? ''}${runtime.problem ? `\n          ${runtime.problem}\n          fix: ${runtime.fix}` : ''}`);
  for (const environment of report.environments) {
    const ok = environment.status === 'complete' || (environment.status === 'external' && environment.missingPackages.length === 0);
    lines.push(`${mark(ok)} python environment "${environment.requirementSet}": ${environment.status}${environment.pythonVersion ? `, Python ${environment.pythonVersion}` : ''}`);
    if (environment.pythonExecutable) lines.push(`          ${environment.pythonExecutable}`);
    for (const pythonPackage of environment.packages) {
      const installed = pythonPackage.installed ?? 'not installed';
      lines.push(`          ${environment.missingPackages.includes(pythonPackage.name) ? '!' : ' '} ${pythonPackage.name} ${installed}${pythonPackage.required ? ` (wants ${pythonPackage.required})` : ''}`);
    }
    if (environment.problem) lines.push(`          ${environment.problem}`);
    if (environment.fixCommand) lines.push(`          fix: ${environment.fixCommand}`);
  }
  lines.push(report.ok ? 'Everything gpux-convert needs is installed.' : 'Some parts are missing: run the fix commands above.');
  return lines.join('\n');
}

/** `gpux-convert doctor`: prints what is installed and the exact command that fixes what is not. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Check Node, onnxruntime-node and the Python environments; print the fix for anything missing.')
    .option('--cache-dir <dir>', 'GPUX cache root (default: $GPUX_CACHE_DIR or ~/.cache/gpux)')
    .option('--python <path>', 'check this interpreter instead of the managed environments')
    .option('--json', 'print the report as JSON')
    .action(async (options: DoctorOptions) => {
      await runCommand(undefined, Boolean(options.json), async () => {
        const collected = await collectDoctorReport({ ...(options.cacheDir ? { cacheDirectory: options.cacheDir } : {}), ...(options.python ? { pythonExecutable: options.python } : {}) });
        // The fixes name this program as it can be typed here: `gpux-convert` when installed, its bin path from a clone.
        const invocation = cliInvocation();
        const report: DoctorReport = {
          ...collected,
          environments: collected.environments.map((environment) =>
            environment.fixCommand === undefined ? environment : { ...environment, fixCommand: withCliInvocation(environment.fixCommand, invocation) },
          ),
        };
        process.stdout.write((options.json ? JSON.stringify(report) : formatDoctorReport(report)) + '\n');
        return report.ok ? EXIT_CODES.success : EXIT_CODES.pythonEnvironment;
      });
    });
}
