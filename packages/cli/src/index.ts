export { createProgram } from './create-program';
export { runCli } from './run-cli';
export { cliVersion } from './cli-version';
