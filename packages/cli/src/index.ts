export { createProgram } from './create-program';
export { runCli } from './run-cli';
export { cliVersion } from './cli-version';
export { EXIT_CODES, exitCodeForError } from './exit-codes';
export { collectDoctorReport, formatDoctorReport } from './commands/doctor-command';
export type { DoctorReport } from './commands/doctor-command';
export { ProgressRenderer, formatBytes } from './output/progress-renderer';
export type { ProgressMode, RendererStreams } from './output/progress-renderer';
