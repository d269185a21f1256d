import { open } from 'node:fs/promises';

const endOfCentralDirectorySignature = 0x06054b50;
const zip64LocatorSignature = 0x07064b50;
const zip64EndSignature = 0x06064b50;
const centralEntrySignature = 0x02014b50;

/**
 * Reads the names of the entries of a zip archive from its central directory, without extracting
 * or unpickling anything. Returns undefined when the file is not a zip archive. Reads at most
 * `maxEntries` names.
 *
 * @param filePath - The archive.
 * @param maxEntries - Stop after this many names. @default 10000
 * @example
 * ```ts
 * const names = await readZipEntryNames('model.pt'); // ['model/constants.pkl', 'model/code/...', ...]
 * ```
 */
export async function readZipEntryNames(filePath: string, maxEntries = 10_000): Promise<string[] | undefined> {
  const handle = await open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 22) return undefined;
    const tailLength = Math.min(size, 22 + 65_535 + 20);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    let end = -1;
    for (let index = tailLength - 22; index >= 0; index -= 1) {
      if (tail.readUInt32LE(index) === endOfCentralDirectorySignature) {
        end = index;
        break;
      }
    }
    if (end < 0) return undefined;
    let entryCount = tail.readUInt16LE(end + 10);
    let directorySize = tail.readUInt32LE(end + 12);
    let directoryOffset = tail.readUInt32LE(end + 16);
    if (end >= 20 && tail.readUInt32LE(end - 20) === zip64LocatorSignature) {
      const zip64Offset = Number(tail.readBigUInt64LE(end - 20 + 8));
      const record = Buffer.alloc(56);
      await handle.read(record, 0, 56, zip64Offset);
      if (record.readUInt32LE(0) === zip64EndSignature) {
        entryCount = Number(record.readBigUInt64LE(32));
        directorySize = Number(record.readBigUInt64LE(40));
        directoryOffset = Number(record.readBigUInt64LE(48));
      }
    }
    if (directoryOffset + directorySize > size) return undefined;
    const directory = Buffer.alloc(directorySize);
    await handle.read(directory, 0, directorySize, directoryOffset);
    const names: string[] = [];
    let position = 0;
    while (names.length < Math.min(entryCount, maxEntries) && position + 46 <= directory.length) {
      if (directory.readUInt32LE(position) !== centralEntrySignature) return undefined;
      const nameLength = directory.readUInt16LE(position + 28);
      const extraLength = directory.readUInt16LE(position + 30);
      const commentLength = directory.readUInt16LE(position + 32);
      names.push(directory.toString('utf8', position + 46, position + 46 + nameLength));
      position += 46 + nameLength + extraLength + commentLength;
    }
    return names;
  } finally {
    await handle.close();
  }
}
