import cliPackage from '../package.json';

/** The version of @gpux/cli, read from its package.json at build time. */
export const cliVersion: string = cliPackage.version;
