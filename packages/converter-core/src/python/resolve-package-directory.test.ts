import fs from 'node:fs';
import path from 'node:path';

import { ConversionError } from '../conversion-error';
import { bridgeModuleDirectory, resolvePackageDirectory } from './resolve-package-directory';

describe('resolvePackageDirectory', () => {
  it('finds the package root above a source folder', () => {
    const root = resolvePackageDirectory(__dirname, '@gpux/converter-core');
    expect(root).toBe(path.resolve(__dirname, '..', '..'));
    expect(resolvePackageDirectory(__dirname, 'gpux-convert-workspace')).toBe(path.resolve(__dirname, '..', '..', '..', '..'));
  });

  it('throws INTERNAL_ERROR naming the package when none matches', () => {
    let caught: unknown;
    try {
      resolvePackageDirectory(__dirname, '@gpux/no-such-package');
    } catch (error) {
      caught = error;
    }
    expect(ConversionError.hasCode(caught, 'INTERNAL_ERROR')).toBe(true);
    expect((caught as Error).message).toContain('@gpux/no-such-package');
  });

  it('points at the folder that holds gpux_bridge.py', () => {
    expect(fs.existsSync(path.join(bridgeModuleDirectory(), 'gpux_bridge.py'))).toBe(true);
  });
});
