/**
 * Symbolic dim expressions, as exporters write derived dims: `past_sequence_length + sequence_length`,
 * `2*s0`, `s1 - 1`, `(s0 + 2) // 3`. One evaluator for fixing dims (`--static-shapes`) and for the
 * sizes validation generates.
 */

/**
 * Names, integers and operators. A hyphen inside a name (`seq-len`, no blanks around it) belongs to
 * the name, since torch and sympy write subtraction as ` - `.
 */
const TOKEN_PATTERN = /\/\/|[A-Za-z_][A-Za-z0-9_.]*(?:-[A-Za-z0-9_.]+)*|\d+|[+\-*()]|\S/g;
const OPERATORS = new Set(['+', '-', '*', '//']);
const NAME_PATTERN = /^[A-Za-z_]/;

function tokenize(expression: string): string[] {
  return expression.match(TOKEN_PATTERN) ?? [];
}

/** True for a dim that is an expression of other dims (`past_sequence_length + sequence_length`), not a plain name (`seq-len`, `batch_size`). */
export function isDimExpression(dim: string): boolean {
  return tokenize(dim).some((token) => OPERATORS.has(token));
}

/**
 * The dim names an expression is made of, in order of first appearance (`a + 2*b - a` -> `['a', 'b']`);
 * a plain name gives itself.
 */
export function dimExpressionNames(expression: string): string[] {
  if (!isDimExpression(expression)) return [expression];
  return [...new Set(tokenize(expression).filter((token) => NAME_PATTERN.test(token)))];
}

/**
 * The value of a dim expression when every name in it has a size, else undefined. Only integers,
 * names, `+`, `-`, `*`, `//` and parentheses are understood; anything else is left symbolic, and so
 * is a result that is negative (no dim can be). A plain name is its own size. `dims` is a record of
 * sizes, or a function that gives a name's size (undefined when it has none).
 *
 * @example
 * ```ts
 * evaluateDimExpression('past_sequence_length + sequence_length', { past_sequence_length: 4, sequence_length: 8 }); // 12
 * evaluateDimExpression('2*s0', (name) => (name === 's0' ? 3 : undefined)); // 6
 * ```
 */
export function evaluateDimExpression(expression: string, dims: Readonly<Record<string, number>> | ((name: string) => number | undefined)): number | undefined {
  const sizeOf = typeof dims === 'function' ? dims : (name: string): number | undefined => (Object.hasOwn(dims, name) ? dims[name] : undefined);
  const tokens = tokenize(expression);
  let position = 0;
  const next = (): string | undefined => tokens[position];
  const factor = (): number | undefined => {
    const token = tokens[position++];
    if (token === undefined) return undefined;
    if (token === '(') {
      const value = sum();
      return tokens[position++] === ')' ? value : undefined;
    }
    if (/^\d+$/.test(token)) return Number(token);
    if (NAME_PATTERN.test(token)) return sizeOf(token);
    return undefined;
  };
  const product = (): number | undefined => {
    let value = factor();
    while (value !== undefined && (next() === '*' || next() === '//')) {
      const operator = tokens[position++];
      const right = factor();
      if (right === undefined || (operator === '//' && right === 0)) return undefined;
      value = operator === '*' ? value * right : Math.floor(value / right);
    }
    return value;
  };
  const sum = (): number | undefined => {
    let value = product();
    while (value !== undefined && (next() === '+' || next() === '-')) {
      const operator = tokens[position++];
      const right = product();
      if (right === undefined) return undefined;
      value = operator === '+' ? value + right : value - right;
    }
    return value;
  };
  const value = sum();
  return value !== undefined && position === tokens.length && Number.isInteger(value) && value >= 0 ? value : undefined;
}
