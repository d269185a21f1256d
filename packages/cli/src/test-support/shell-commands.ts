/**
 * The simple commands of a shell snippet, as word lists: enough of the shell grammar to read README
 * examples (quotes, backslash line continuations, comments, `|`, `&&`, `||`, `;`), not a full parser.
 * A `console` block keeps only its `$ ` prompt lines. Test helper.
 */
export function simpleCommands(code: string, language: string): string[][] {
  let lines = code.split('\n');
  if (language === 'console') lines = lines.filter((line) => line.startsWith('$ ')).map((line) => line.slice(2));
  const text = lines.join('\n').replace(/\\\n/g, ' ');
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index] as string;
    if (character === "'" || character === '"') {
      const close = text.indexOf(character, index + 1);
      if (close < 0) throw new SyntaxError(`Unclosed ${character} in: ${code}`);
      word = (word ?? '') + text.slice(index + 1, close);
      index = close;
    } else if (character === '#' && word === undefined) {
      const newline = text.indexOf('\n', index);
      index = newline < 0 ? text.length : newline - 1;
    } else if (character === '\n' || character === ';' || character === '|' || character === '&') {
      endCommand();
      if ((character === '|' || character === '&') && text[index + 1] === character) index += 1;
    } else if (character === ' ' || character === '\t') {
      endWord();
    } else {
      word = (word ?? '') + character;
    }
  }
  endCommand();
  return commands;
}

/**
 * The arguments given to gpux-convert by a simple command (`gpux-convert ...`, `npx [flags]
 * gpux-convert ...`, `node .../cli/dist/bin.cjs ...`, after `VAR=value` assignments), or undefined
 * when the command runs something else.
 */
export function gpuxConvertArguments(words: readonly string[]): string[] | undefined {
  let index = 0;
  while (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[index] ?? '')) index += 1;
  if (words[index] === 'npx') {
    index += 1;
    while ((words[index] ?? '').startsWith('-')) index += 1;
  } else if (words[index] === 'node' && /(^|\/)cli\/dist\/bin\.cjs$/.test(words[index + 1] ?? '')) {
    return words.slice(index + 2);
  }
  return words[index] === 'gpux-convert' ? words.slice(index + 1) : undefined;
}
