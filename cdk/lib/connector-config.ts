import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseLines } from 'dot-properties';
import { closest, distance } from 'fastest-levenshtein';
import { type Node as JsonNode, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import keyTable from './keys.json';
import secretKeyPatterns from './secret-key-patterns.json';

/** A connector setting as written in a typed config: Connect lists may be arrays. */
export type ConnectorValue = string | number | boolean | ReadonlyArray<string | number | boolean>;

/** What the crate says about one key (`kafka-s3-sink keys --json`). */
interface KeyDescription {
  readonly name: string;
  readonly default: string | null;
  readonly role: 'used' | 'ignored';
  readonly ignoredBecause: string | null;
  readonly secret: boolean;
}

interface KeyTable {
  readonly keys: readonly KeyDescription[];
  readonly ignoredPrefixes: ReadonlyArray<{ readonly prefix: string; readonly ignoredBecause: string }>;
  readonly openPrefixes: readonly string[];
}

const TABLE: KeyTable = keyTable as KeyTable;
const KEYS = new Map(TABLE.keys.map((k) => [k.name, k]));
const KEY_NAMES = TABLE.keys.map((k) => k.name);

/**
 * Substrings that make a key a secret, for keys the table does not list (options under an open
 * prefix such as `value.converter.`). They mirror `keys::is_secret` in the crate, which the
 * table's `secret` flags come from; `tests/cdk_keys.rs` checks that the crate agrees.
 */
export const SECRET_KEY_PATTERNS: readonly string[] = secretKeyPatterns;

/** A connector config, read and flattened as the function reads it, not yet validated. */
export class ConnectorConfig {
  /**
   * A config written in code: Confluent key names to values. Numbers and booleans are taken as
   * their text, arrays are joined with `,` (Connect lists).
   */
  public static fromObject(config: { readonly [key: string]: ConnectorValue }): ConnectorConfig {
    const entries = new Map<string, string>();
    for (const [key, value] of Object.entries(config)) {
      entries.set(key, Array.isArray(value) ? value.map(String).join(',') : String(value));
    }
    return new ConnectorConfig(entries, 'connectorConfig');
  }

  /**
   * A pasted Kafka Connect config file: JSON (`{"name": .., "config": {..}}` or a bare map, with
   * `//` and `/* *\/` comments and trailing commas) or Java `.properties`, told apart as the
   * function does it: JSON when the first significant character is `{` or `[`.
   */
  public static fromFile(file: string): ConnectorConfig {
    // Messages name the file as the user would, relative to where synth runs.
    return ConnectorConfig.fromText(fs.readFileSync(file, 'utf8'), path.relative(process.cwd(), file) || file);
  }

  /** The content of a config file; `origin` names it in error messages. */
  public static fromText(text: string, origin = 'connector config'): ConnectorConfig {
    const body = text.replace(/^\uFEFF/, '');
    const first = firstSignificantChar(body);
    if (first === undefined) return new ConnectorConfig(new Map(), origin);
    if (first === '{' || first === '[') return new ConnectorConfig(parseJson(body, origin), origin);
    return new ConnectorConfig(parseProperties(body), origin);
  }

  private constructor(
    /** Keys to values, in document order; a repeated key keeps its last value. */
    public readonly entries: ReadonlyMap<string, string>,
    /** Where the config came from, for messages. */
    public readonly origin: string,
  ) {}

  /** The value of `key`, or undefined when the config does not set it. */
  public get(key: string): string | undefined {
    return this.entries.get(key);
  }

  /** A copy with `overrides` set on top (later wins, as the function's per-key variables do). */
  public with(overrides: { readonly [key: string]: ConnectorValue }): ConnectorConfig {
    const merged = new Map(this.entries);
    for (const [k, v] of ConnectorConfig.fromObject(overrides).entries) merged.set(k, v);
    return new ConnectorConfig(merged, this.origin);
  }
}

/** The outcome of checking a config against the crate's key table. */
export interface ConfigCheck {
  /** One message per bad key, each naming the key. */
  readonly errors: string[];
  /** Keys accepted without effect in Lambda, with the reason. */
  readonly ignored: Array<{ readonly key: string; readonly why: string; readonly secretValue: boolean }>;
  /** The keys to pass to the function: everything that is not ignored, in document order. */
  readonly passed: Map<string, string>;
}

/** Whether a key's value must never reach the function's environment as plain text. */
export function isSecretKey(key: string): boolean {
  const known = KEYS.get(key);
  if (known) return known.secret;
  const lower = key.toLowerCase();
  return SECRET_KEY_PATTERNS.some((p) => lower.includes(p));
}

/**
 * A config-provider reference (`${secretsmanager:name:key}`, `${ssm::/path}`, or Connect's
 * empty placeholder `${}`): the value is looked up by the function, never stored in the config.
 */
export function isProviderReference(value: string): boolean {
  return /^\$\{[^}]*\}$/.test(value.trim());
}

/**
 * Checks key names by the crate's rules (`Config::from_raw`): a key is known, under an ignored
 * prefix, under an open prefix (transforms, predicates, converter options), or unknown, which is
 * an error with the closest known key as a hint. Values are the function's to check at cold
 * start, except secrets: a secret with a plain value is refused rather than put in the
 * environment, where anyone who may read the function's configuration sees it.
 */
export function checkConnectorConfig(config: ConnectorConfig): ConfigCheck {
  const errors: string[] = [];
  const ignored: Array<{ key: string; why: string; secretValue: boolean }> = [];
  const passed = new Map<string, string>();
  for (const [key, value] of config.entries) {
    const secretValue = isSecretKey(key) && value.trim() !== '' && !isProviderReference(value);
    const known = KEYS.get(key);
    const ignoredPrefix = TABLE.ignoredPrefixes.find((p) => key.startsWith(p.prefix));
    if (known?.role === 'ignored' || (!known && ignoredPrefix)) {
      ignored.push({ key, why: known?.ignoredBecause ?? ignoredPrefix?.ignoredBecause ?? '', secretValue });
      continue;
    }
    // `transforms.` opens `transforms` (the list of aliases) as well, as the crate's
    // `transform::is_transform_key` does; the bare converter keys are known keys anyway.
    const open = TABLE.openPrefixes.some((p) => key.startsWith(p) || key === p.replace(/\.$/, ''));
    if (!known && !open) {
      const hint = suggestion(key);
      errors.push(
        `${config.origin}: unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; ` +
          '`kafka-s3-sink keys` and the README list every key',
      );
      continue;
    }
    if (secretValue) {
      errors.push(
        `${config.origin}: "${key}" is a secret and holds a plain value, which would be stored in the ` +
          "function's environment: reference it through a config provider (e.g. " +
          '`${secretsmanager:my-secret:key}`) or, for Kafka credentials, give the secret to the ' +
          'event source (`authentication`) as the SAM template does',
      );
      continue;
    }
    passed.set(key, value);
  }
  return { errors, ignored, passed };
}

/** The known key closest to an unknown one, when close enough to be a typo (the crate's rule). */
export function suggestion(unknown: string): string | undefined {
  const best = closest(unknown, KEY_NAMES);
  const d = distance(unknown, best);
  return d <= Math.max(3, Math.floor(best.length / 6)) ? best : undefined;
}

function firstSignificantChar(text: string): string | undefined {
  let rest = text;
  for (;;) {
    rest = rest.trimStart();
    if (rest.startsWith('//')) {
      const nl = rest.indexOf('\n');
      rest = nl < 0 ? '' : rest.slice(nl);
    } else if (rest.startsWith('/*')) {
      const end = rest.indexOf('*/');
      // Unterminated: only a JSON document can have meant this; the parser reports it.
      if (end < 0) return '{';
      rest = rest.slice(end + 2);
    } else {
      return rest.length > 0 ? rest[0] : undefined;
    }
  }
}

function parseJson(text: string, origin: string): Map<string, string> {
  const problems: ParseError[] = [];
  const root = parseTree(text, problems, { allowTrailingComma: true, disallowComments: false });
  if (problems.length > 0 || root === undefined) {
    const p = problems[0];
    const where = p ? position(text, p.offset) : '';
    throw new Error(`${origin}: invalid JSON${where}: ${p ? printParseErrorCode(p.error) : 'empty document'}`);
  }
  if (root.type !== 'object') {
    throw new Error(
      `${origin}: the JSON is not an object: expected {"name": ..., "config": {...}} or a map of keys to values`,
    );
  }
  const top = properties(root);
  const entries = new Map<string, string>();
  const config = top.find(([k]) => k === 'config')?.[1];
  if (config?.type === 'object') {
    // Connect's REST shape: `name` first, then the config (whose own `name` wins); other
    // top-level keys (`tasks`, `type`) are not settings.
    const name = top.find(([k]) => k === 'name')?.[1];
    if (name) entries.set('name', valueText(text, 'name', name, origin));
    for (const [k, v] of properties(config)) entries.set(k, valueText(text, k, v, origin));
  } else {
    for (const [k, v] of top) entries.set(k, valueText(text, k, v, origin));
  }
  return entries;
}

function properties(object: JsonNode): Array<[string, JsonNode]> {
  return (object.children ?? []).map((p) => {
    const [key, value] = p.children ?? [];
    return [String(key?.value), value as JsonNode];
  });
}

/** A JSON value as the crate takes it: strings as they are, numbers and booleans as their JSON text. */
function valueText(text: string, key: string, node: JsonNode, origin: string): string {
  const scalar = (n: JsonNode): string | undefined => {
    if (n.type === 'string') return String(n.value);
    if (n.type === 'number' || n.type === 'boolean') return text.slice(n.offset, n.offset + n.length);
    return undefined;
  };
  const single = scalar(node);
  if (single !== undefined) return single;
  const bad = (why: string) => new Error(`${origin}: invalid value for key "${key}": ${why}`);
  if (node.type === 'null') throw bad('null is not a value: use "" for an empty value or leave the key out');
  if (node.type === 'object') throw bad('nested objects are not allowed: connector config values are flat');
  return (node.children ?? [])
    .map((item) => {
      const s = scalar(item);
      if (s === undefined) throw bad('a list may hold only strings, numbers and booleans');
      return s;
    })
    .join(',');
}

function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return ` at line ${before.length}, column ${(before[before.length - 1] ?? '').length + 1}`;
}

function parseProperties(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of parseLines(text)) {
    if (Array.isArray(line)) {
      const [key, value] = line as [string, string];
      // A repeated key keeps its first position and takes its last value, as in the crate.
      entries.set(key, value);
    }
  }
  return entries;
}
