import path from 'node:path';
import { ConversionCache, type CachedConversion } from '@gpux/model-manager';
import type { Command } from 'commander';
import { writeJsonResult } from '../drain-with-renderer';
import { EXIT_CODES } from '../exit-codes';
import { formatBytes } from '../output/progress-renderer';
import { runCommand } from '../run-command';

interface CacheCliOptions {
  cacheDir?: string;
  json?: boolean;
}

const cacheDirOption = ['--cache-dir <dir>', 'conversion cache directory (default: $GPUX_CACHE_DIR/conversions, i.e. ~/.cache/gpux/conversions)'] as const;

/** The `<sourceId>@<revision>#<optionsHash>` name of a cached conversion (what `rm` takes). */
export function conversionName(conversion: CachedConversion): string {
  return `${conversion.manifest.sourceId}@${conversion.manifest.revision}#${conversion.manifest.optionsHash}`;
}

function describe(conversion: CachedConversion): Record<string, unknown> {
  const { manifest } = conversion;
  return {
    name: conversionName(conversion),
    sourceId: manifest.sourceId,
    revision: manifest.revision,
    optionsHash: manifest.optionsHash,
    createdAt: manifest.createdAt,
    files: manifest.files.length,
    bytes: manifest.files.reduce((sum, file) => sum + file.size, 0),
    directory: conversion.directory,
    options: manifest.options,
  };
}

/** `gpux-convert list` and `gpux-convert rm`: the conversion cache. */
export function registerCacheCommands(program: Command): void {
  program
    .command('list')
    .alias('ls')
    .description('List cached conversions (name, size, date, directory).')
    .option(...cacheDirOption)
    .option('--json', 'print one JSON object with every conversion')
    .action(async (options: CacheCliOptions) => {
      await runCommand(undefined, Boolean(options.json), async () => {
        const cache = new ConversionCache({ directory: options.cacheDir });
        const conversions = (await cache.listConversions()).map(describe);
        if (options.json) {
          writeJsonResult({ cacheDirectory: cache.directory, conversions });
          return;
        }
        if (conversions.length === 0) {
          process.stdout.write(`No cached conversions in ${cache.directory}\n`);
          return;
        }
        const lines = conversions.map((entry) => `${String(entry.name)}\n    ${formatBytes(entry.bytes as number)} in ${String(entry.files)} files, ${String(entry.createdAt)}\n    ${String(entry.directory)}`);
        process.stdout.write(`${conversions.length} cached conversion(s) in ${cache.directory}\n${lines.join('\n')}\n`);
      });
    });
  program
    .command('rm')
    .alias('remove')
    .description('Remove cached conversions, named as `list` prints them (<source>@<revision>#<hash>), by directory, or all of one source.')
    .argument('[targets...]', '<source>@<revision>#<hash>, a conversion directory, or a source id / path (all its conversions)')
    .option('--all', 'remove every cached conversion')
    .option(...cacheDirOption)
    .option('--json', 'print the removed names as one JSON object')
    .action(async (targets: string[], options: CacheCliOptions & { all?: boolean }) => {
      await runCommand(undefined, Boolean(options.json), async () => {
        if (targets.length === 0 && options.all !== true) throw new TypeError('Name what to remove (see `gpux-convert list`), or pass --all.');
        const cache = new ConversionCache({ directory: options.cacheDir });
        const conversions = await cache.listConversions();
        const removed: string[] = [];
        const unmatched: string[] = [];
        const selected = new Set<CachedConversion>(options.all === true ? conversions : []);
        for (const target of targets) {
          // A local source or a conversion directory may be named relative to the working directory (`rm ./model.onnx`).
          const resolved = path.resolve(target);
          const matches = conversions.filter(
            (conversion) => conversionName(conversion) === target || [target, resolved].includes(conversion.directory) || [target, resolved].includes(conversion.manifest.sourceId),
          );
          if (matches.length === 0) unmatched.push(target);
          for (const match of matches) selected.add(match);
        }
        for (const conversion of selected) if (await cache.removeConversion(conversion.directory)) removed.push(conversionName(conversion));
        if (options.json) writeJsonResult({ removed, unmatched });
        else process.stdout.write([...removed.map((name) => `removed ${name}`), ...unmatched.map((target) => `no cached conversion matches ${target}`)].join('\n') + '\n');
        return unmatched.length > 0 ? EXIT_CODES.invalidInput : EXIT_CODES.success;
      });
    });
}
