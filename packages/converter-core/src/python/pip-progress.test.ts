import { PipProgress } from './pip-progress';

describe('PipProgress', () => {
  it('turns pip lines into messages and percent of direct requirements collected', () => {
    const progress = new PipProgress(['six', 'Huggingface_Hub'], 'python:tiny');
    expect(progress.parse('Collecting six==1.16.0 (from -r requirements.txt (line 1))')).toEqual([
      { type: 'message', phase: 'setup', level: 'info', message: 'Collecting six==1.16.0 (from -r requirements.txt (line 1))' },
      { type: 'percent', phase: 'setup', label: 'python:tiny', percent: 40 },
    ]);
    expect(progress.parse('  Downloading six-1.16.0-py2.py3-none-any.whl (11 kB)')).toEqual([
      { type: 'message', phase: 'setup', level: 'info', message: 'Downloading six-1.16.0-py2.py3-none-any.whl (11 kB); 11 kB in 1 download so far' },
    ]);
    // A dependency that is not a direct requirement moves no percent.
    expect(progress.parse('Collecting filelock (from huggingface_hub==0.1)').map((event) => event.type)).toEqual(['message']);
    expect(progress.parse('Collecting huggingface-hub==0.1').at(-1)).toEqual({ type: 'percent', phase: 'setup', label: 'python:tiny', percent: 75 });
    expect(progress.parse('Installing collected packages: six, filelock, huggingface-hub').at(-1)).toMatchObject({ percent: 80 });
    expect(progress.parse('Successfully installed six-1.16.0').at(-1)).toMatchObject({ percent: 95 });
    expect(progress.parse('ERROR: No matching distribution found for six==99')).toEqual([
      { type: 'message', phase: 'setup', level: 'warning', message: 'ERROR: No matching distribution found for six==99' },
    ]);
    expect(progress.parse('  Preparing metadata (pyproject.toml): started')).toEqual([]);
  });

  it('adds up the bytes pip downloads (decimal units) and passes lines without a size as they are', () => {
    const progress = new PipProgress(['torch'], 'python:torch');
    const messages = ['Downloading torch-2.15.0-cp311-cp311-manylinux_2_28_x86_64.whl (899.7 MB)', 'Downloading nvidia_cublas-12.9.whl (1.2 GB)', 'Downloading tiny.whl (900 bytes)', 'Downloading https://example.invalid/pkg.tar.gz']
      .map((line) => progress.parse(line)[0])
      .map((event) => (event?.type === 'message' ? event.message : ''));
    expect(messages).toEqual([
      'Downloading torch-2.15.0-cp311-cp311-manylinux_2_28_x86_64.whl (899.7 MB); 899.7 MB in 1 download so far',
      'Downloading nvidia_cublas-12.9.whl (1.2 GB); 2.10 GB in 2 downloads so far',
      'Downloading tiny.whl (900 bytes); 2.10 GB in 3 downloads so far',
      'Downloading https://example.invalid/pkg.tar.gz',
    ]);
  });
});
