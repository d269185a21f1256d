import { Command } from 'commander';
import { createProgram } from '../create-program';
import { addModelConversionOptions, modelConversionOptions, pickModelConversionOptions } from './model-conversion-options';

/** Each flag of a command with its help text. */
function flags(command: Command): Map<string, string> {
  return new Map(command.options.map((option) => [option.long ?? option.flags, option.description]));
}

describe('the per-model conversion options', () => {
  it('are declared once: convert and batch list every one of them with the same help', () => {
    const perModel = flags(addModelConversionOptions(new Command()));
    expect([...perModel.keys()]).toEqual(['--framework', '--task', '--opset', '--optimize', '--quantize', '--static-shapes', '--min-cosine', '--atol', '--rtol', '--no-validate', '--trust-remote-code']);
    const program = createProgram();
    for (const name of ['convert', 'batch']) {
      const command = program.commands.find((candidate) => candidate.name() === name);
      expect(command).toBeDefined();
      const declared = flags(command!);
      for (const [flag, help] of perModel) expect([name, flag, declared.get(flag)]).toEqual([name, flag, help]);
    }
  });

  it('turn into conversion options, --min-cosine into the integer variants\' accuracy budget and tolerance', () => {
    const parsed = addModelConversionOptions(new Command().exitOverride())
      .parse(['--framework', 'pt', '--opset', '17', '--optimize', 'O2', '--quantize', 'int8,fp16', '--min-cosine', '0.95', '--atol', '0.01', '--no-validate'], { from: 'user' })
      .opts();
    const options = modelConversionOptions(parsed);
    expect(options).toMatchObject({ framework: 'pytorch', opset: 17, tolerances: { atol: 0.01 }, validate: false, trustRemoteCode: false });
    expect(options.variants?.map((stage) => [stage.name, stage.inputFrom, stage.tolerances?.minCosineSimilarity])).toEqual([
      ['optimize-O2', undefined, undefined],
      ['quantize-int8', 'optimize-O2', 0.95],
      ['fp16', 'optimize-O2', 0.999], // fp16 keeps its own bound: the budget is the integer variants'
    ]);
    const defaults = modelConversionOptions({ quantize: ['int8'] });
    expect(defaults).toEqual({ trustRemoteCode: false, validate: true, variants: [expect.objectContaining({ name: 'quantize-int8' })] });
    expect(defaults.variants?.[0]?.tolerances?.minCosineSimilarity).toBe(0.99);
  });

  it('are picked out of a command\'s options, validate only when it is turned off', () => {
    expect(pickModelConversionOptions({ output: 'out', json: true, concurrency: 2, minCosine: 0.9, quantize: ['q4'], task: undefined, validate: true })).toEqual({ minCosine: 0.9, quantize: ['q4'] });
    expect(pickModelConversionOptions({ validate: false, trustRemoteCode: true })).toEqual({ validate: false, trustRemoteCode: true });
  });
});
