import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ConversionError } from '../conversion-error';
import { canonicalPackageName, readRequirements } from './python-requirements';

describe('readRequirements', () => {
  let directory: string;
  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'gpux-requirements-test-'));
  });
  afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('normalizes comments, blanks and continuations, inlines -r files and parses pins', async () => {
    fs.writeFileSync(path.join(directory, 'base.txt'), 'numpy == 2.4.6  # shared\n');
    fs.writeFileSync(
      path.join(directory, 'requirements.txt'),
      [
        '# header comment',
        '--extra-index-url https://download.pytorch.org/whl/cpu',
        '',
        'torch==2.15.0',
        'transformers[torch] >=5.0, \\',
        '  <6',
        'tomli==2.0.1; python_version < "3.11"',
        'huggingface_hub',
        '-r base.txt',
      ].join('\n'),
    );
    const parsed = await readRequirements(path.join(directory, 'requirements.txt'));
    expect(parsed.normalizedText).toBe(
      [
        '--extra-index-url https://download.pytorch.org/whl/cpu',
        'torch==2.15.0',
        'transformers[torch] >=5.0, <6',
        'tomli==2.0.1; python_version < "3.11"',
        'huggingface_hub',
        'numpy == 2.4.6',
      ].join('\n'),
    );
    expect(parsed.pins).toEqual([
      { name: 'torch', specifier: '==2.15.0', marker: '' },
      { name: 'transformers', specifier: '>=5.0,<6', marker: '' },
      { name: 'tomli', specifier: '==2.0.1', marker: 'python_version < "3.11"' },
      { name: 'huggingface_hub', specifier: '', marker: '' },
      { name: 'numpy', specifier: '==2.4.6', marker: '' },
    ]);
  });

  it('gives the same text for files that differ only in comments and spacing', async () => {
    fs.writeFileSync(path.join(directory, 'a.txt'), 'six==1.16.0\n');
    fs.writeFileSync(path.join(directory, 'b.txt'), '# pinned\n\n  six==1.16.0   # why\n\n');
    const [a, b] = await Promise.all([readRequirements(path.join(directory, 'a.txt')), readRequirements(path.join(directory, 'b.txt'))]);
    expect(b.normalizedText).toBe(a.normalizedText);
  });

  it('gives PYTHON_ENVIRONMENT_FAILED for a missing file', async () => {
    const missing = path.join(directory, 'nope.txt');
    const error: unknown = await readRequirements(missing).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(ConversionError.hasCode(error, 'PYTHON_ENVIRONMENT_FAILED')).toBe(true);
    expect((error as Error).message).toContain(missing);
  });

  it('canonicalizes names as PEP 503 does', () => {
    expect(canonicalPackageName('Huggingface_Hub')).toBe('huggingface-hub');
    expect(canonicalPackageName('zope.interface')).toBe('zope-interface');
  });
});
