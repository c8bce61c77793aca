/**
 * What a CommonJS `userconfig.js` exports, found without running it (docs/design.md §3):
 * the file is parsed (acorn) and the object literal assigned to `module.exports` is
 * evaluated statically. Literals only: strings, numbers, booleans, null, `undefined`,
 * template literals without `${}`, objects and arrays of those. Any other value becomes a
 * `NotLiteral` marker, which matters only if someone reads it (the flags), so an unusual
 * value elsewhere in the file never stops a node from booting. Pure: no I/O.
 */
import { parse, type Expression, type Node, type ObjectExpression, type Program, type Property } from 'acorn';

/** A value the file computes with code; `what` says what it is, e.g. "a function call". */
export class NotLiteral {
  constructor(readonly what: string) {}
}

/** The file cannot be read statically; `reason` is a phrase for "Cannot load X: <reason>." */
export class UnreadableSource extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UnreadableSource';
  }
}

/** Deeper literals than this are not configuration. */
const MAX_DEPTH = 64;

const NODE_WORDS: Record<string, string> = {
  CallExpression: 'a function call',
  NewExpression: 'a `new` expression',
  Identifier: 'a variable',
  MemberExpression: 'a property read',
  FunctionExpression: 'a function',
  ArrowFunctionExpression: 'a function',
  ClassExpression: 'a class',
  ConditionalExpression: 'a conditional',
  LogicalExpression: 'a logical expression',
  BinaryExpression: 'an operator expression',
  UnaryExpression: 'an operator expression',
  TemplateLiteral: 'a template literal with ${…}',
  TaggedTemplateExpression: 'a tagged template',
  AwaitExpression: 'an await',
  SequenceExpression: 'a comma expression',
  AssignmentExpression: 'an assignment',
  UpdateExpression: 'an assignment',
};

function notLiteral(node: Node): NotLiteral {
  return new NotLiteral(NODE_WORDS[node.type] ?? 'code');
}

const GLOBAL_VALUES: Record<string, unknown> = { undefined, NaN, Infinity };

function evaluate(node: Expression, depth: number): unknown {
  if (depth > MAX_DEPTH) return new NotLiteral('nested too deeply');
  switch (node.type) {
    case 'Literal':
      if (node.regex) return new NotLiteral('a regular expression');
      if (node.bigint !== undefined) return new NotLiteral('a BigInt');
      return node.value;
    case 'TemplateLiteral': {
      const cooked = node.expressions.length === 0 ? node.quasis[0]?.value.cooked : undefined;
      return typeof cooked === 'string' ? cooked : notLiteral(node);
    }
    case 'Identifier':
      return Object.hasOwn(GLOBAL_VALUES, node.name) ? GLOBAL_VALUES[node.name] : notLiteral(node);
    case 'UnaryExpression': {
      const value = node.argument.type === 'Literal' ? node.argument.value : undefined;
      if (typeof value !== 'number' || (node.operator !== '-' && node.operator !== '+')) return notLiteral(node);
      return node.operator === '-' ? -value : value;
    }
    case 'ObjectExpression':
      return evaluateObject(node, depth);
    case 'ArrayExpression': {
      const items: unknown[] = [];
      for (const element of node.elements) {
        if (element?.type === 'SpreadElement') return new NotLiteral('an array spread');
        const value = element === null ? undefined : evaluate(element, depth + 1);
        // Arrays of literals only: one computed element makes the whole array code.
        if (value instanceof NotLiteral) return value;
        items.push(value);
      }
      return items;
    }
    default:
      return notLiteral(node);
  }
}

/** The key of a property, or null when code computes it. */
function propertyKey(property: Property): string | null {
  const key = property.key;
  if (!property.computed && key.type === 'Identifier') return key.name;
  const literal = key.type === 'Literal' ? key.value : undefined;
  if (typeof literal === 'string' || typeof literal === 'number') return String(literal);
  if (key.type === 'TemplateLiteral' && key.expressions.length === 0) return key.quasis[0]?.value.cooked ?? null;
  return null;
}

/** A null-prototype record of the literal's properties; a spread, computed key or `__proto__` makes it code. */
function evaluateObject(node: ObjectExpression, depth: number): Record<string, unknown> | NotLiteral {
  const result: Record<string, unknown> = Object.create(null);
  for (const property of node.properties) {
    if (property.type === 'SpreadElement') return new NotLiteral('an object spread');
    const key = propertyKey(property);
    if (key === null) return new NotLiteral('an object with a computed key');
    // `__proto__: {…}` in a literal sets the prototype: its keys would be inherited.
    if (key === '__proto__' && !property.computed && !property.shorthand) {
      return new NotLiteral('an object that sets __proto__');
    }
    if (property.kind !== 'init') result[key] = new NotLiteral('a getter or setter');
    else if (property.method) result[key] = new NotLiteral('a method');
    else result[key] = evaluate(property.value, depth + 1);
  }
  return result;
}

/** Children of a node, skipping names that are not references (`a.module`, `{ exports: 1 }`). */
function children(node: Node): Node[] {
  const found: Node[] = [];
  const record = node as unknown as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key === 'property' && node.type === 'MemberExpression' && !record.computed) continue;
    if (key === 'key' && !record.computed) continue;
    const value = record[key];
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      const isNode = item !== null && typeof item === 'object' && typeof (item as Node).type === 'string';
      if (isNode) found.push(item as Node);
    }
  }
  return found;
}

/** Every reference to `module` or `exports` in the program (an explicit stack: hostile nesting cannot overflow it). */
function exportReferences(program: Program): Node[] {
  const found: Node[] = [];
  const stack: Node[] = [program];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    const name = node.type === 'Identifier' ? (node as { name?: string }).name : undefined;
    if (name === 'module' || name === 'exports') found.push(node);
    else stack.push(...children(node));
  }
  return found;
}

/** The `X` of the top-level statements `module.exports = X`. */
function exportAssignments(program: Program): { object: Node; value: Expression }[] {
  const found: { object: Node; value: Expression }[] = [];
  for (const statement of program.body) {
    if (statement.type !== 'ExpressionStatement') continue;
    const expression = statement.expression;
    if (expression.type !== 'AssignmentExpression' || expression.operator !== '=') continue;
    const left = expression.left;
    if (left.type !== 'MemberExpression' || left.computed || left.object.type !== 'Identifier') continue;
    if (left.object.name === 'module' && left.property.type === 'Identifier' && left.property.name === 'exports') {
      found.push({ object: left.object, value: expression.right });
    }
  }
  return found;
}

function parseProgram(source: string): Program {
  const options = { ecmaVersion: 'latest', allowHashBang: true, allowReturnOutsideFunction: true } as const;
  try {
    return parse(source, { ...options, sourceType: 'script' });
  } catch (error) {
    // Acorn reports its own stack overflow as a SyntaxError ("Not enough stack space").
    if (error instanceof RangeError || /stack space/.test(String((error as Error).message))) {
      throw new UnreadableSource('it is nested too deeply to read');
    }
    if (isModule(source, options)) throw new UnreadableSource('it is an ES module, not CommonJS');
    throw new UnreadableSource(syntaxReason(error));
  }
}

function isModule(source: string, options: object): boolean {
  try {
    const program = parse(source, { ...options, ecmaVersion: 'latest', sourceType: 'module' });
    return program.body.some((part) => part.type.startsWith('Export') || part.type === 'ImportDeclaration');
  } catch {
    return false;
  }
}

/** "syntax error at line 4, column 5 (Unexpected token)": acorn's words without names from the file. */
function syntaxReason(error: unknown): string {
  const loc = (error as { loc?: { line: number; column: number } }).loc;
  const message = error instanceof Error ? error.message.replace(/\s*\(\d+:\d+\)$/, '').replace(/'[^']*'/g, '…') : '';
  const where = loc ? ` at line ${loc.line}, column ${loc.column + 1}` : '';
  return `syntax error${where}${message ? ` (${message.slice(0, 80)})` : ''}`;
}

/**
 * The value the file assigns to `module.exports`, evaluated statically. Throws
 * UnreadableSource when there is not exactly one top-level `module.exports = …` or when any
 * other code refers to `module` or `exports` (it could change what is exported).
 */
export function staticExports(source: string): unknown {
  const program = parseProgram(source);
  const assignments = exportAssignments(program);
  if (assignments.length === 0) throw new UnreadableSource('it has no top-level `module.exports = {…}`');
  const references = exportReferences(program);
  if (assignments.length > 1 || references.length > 1) {
    throw new UnreadableSource('code in it refers to `module` or `exports` besides its `module.exports = {…}`');
  }
  return evaluate(assignments[0].value, 0);
}

/**
 * The first NotLiteral inside a value that staticExports() built, or null. Only the
 * null-prototype records it makes are searched: a host's own object (FluxOS passes the one
 * it loaded) may be cyclic or have getters, and is taken as it is.
 */
export function findNotLiteral(value: unknown, depth = 0): NotLiteral | null {
  if (value instanceof NotLiteral) return value;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return null;
  if (Object.getPrototypeOf(value) !== null) return null;
  for (const item of Object.values(value)) {
    const found = findNotLiteral(item, depth + 1);
    if (found) return found;
  }
  return null;
}
