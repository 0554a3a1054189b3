import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkConnectorConfig, ConnectorConfig, isSecretKey, suggestion } from '../lib';
import keyTable from '../lib/keys.json';
import { CONFIGS } from './helpers';

describe('reading a pasted connector config', () => {
  test('Connect JSON with comments, a trailing comma and non-ASCII text', () => {
    const config = ConnectorConfig.fromText(`
      // exported from Connect
      {
        "name": "s3-sink",
        "config": {
          /* 필수 정보 */
          "flush.size": 10,
          "topics": ["a", "b"],
          "store.kafka.keys": true,
          "rotate.interval.ms": 1.5e3,
          "timezone": "Asia/Seoul",
        },
        "tasks": [], "type": "sink"
      }`);
    expect([...config.entries]).toEqual([
      ['name', 's3-sink'],
      ['flush.size', '10'],
      ['topics', 'a,b'],
      ['store.kafka.keys', 'true'],
      // Numbers keep their JSON text, as the crate reads them.
      ['rotate.interval.ms', '1.5e3'],
      ['timezone', 'Asia/Seoul'],
    ]);
  });

  test('a bare map', () => {
    expect([...ConnectorConfig.fromText('{"flush.size": "1"}').entries]).toEqual([['flush.size', '1']]);
  });

  test('java .properties: separators, escapes, continuation lines, comments', () => {
    const config = ConnectorConfig.fromText(
      '# comment\n! also a comment\nflush.size=200\ntopics : a,\\\n    b\npath.format \'year\'=YYYY\nlocale=ko\\u005FKR\n',
    );
    expect(Object.fromEntries(config.entries)).toEqual({
      'flush.size': '200',
      topics: 'a,b',
      'path.format': "'year'=YYYY",
      locale: 'ko_KR',
    });
  });

  test('a repeated key takes its last value', () => {
    expect(ConnectorConfig.fromText('{"flush.size": "1", "flush.size": "2"}').get('flush.size')).toBe('2');
    expect(ConnectorConfig.fromText('flush.size=1\nflush.size=2').get('flush.size')).toBe('2');
  });

  test('bad JSON names the place; null and nested objects name the key', () => {
    expect(() => ConnectorConfig.fromText('{\n  "a": }', 'c.json')).toThrow(/c\.json: invalid JSON at line 2, column 8/);
    expect(() => ConnectorConfig.fromText('{"flush.size": null}')).toThrow(/"flush.size": null is not a value/);
    expect(() => ConnectorConfig.fromText('{"a": {"b": 1}}')).toThrow(/"a": nested objects are not allowed/);
    expect(() => ConnectorConfig.fromText('[1]')).toThrow(/not an object/);
  });

  test('an empty document has no keys', () => {
    expect(ConnectorConfig.fromText('  // nothing\n').entries.size).toBe(0);
  });

  test('a typed object: numbers, booleans and lists become text', () => {
    const config = ConnectorConfig.fromObject({ 'flush.size': 5, 'store.kafka.keys': true, topics: ['a', 'b'] });
    expect(Object.fromEntries(config.entries)).toEqual({ 'flush.size': '5', 'store.kafka.keys': 'true', topics: 'a,b' });
    expect(config.with({ 'flush.size': 6 }).get('flush.size')).toBe('6');
  });
});

describe('checking keys against the crate table', () => {
  test('every shipped user config passes (with its Lambda-less keys ignored)', () => {
    for (const file of fs.readdirSync(CONFIGS)) {
      const check = checkConnectorConfig(ConnectorConfig.fromFile(path.join(CONFIGS, file)));
      expect({ file, errors: check.errors }).toEqual({ file, errors: [] });
    }
  });

  test('the TimeBased config: credentials and worker settings are ignored, not passed', () => {
    const check = checkConnectorConfig(ConnectorConfig.fromFile(path.join(CONFIGS, 'orders-timebased.json')));
    expect(check.ignored.map((i) => i.key)).toEqual(['name', 'connector.class', 'tasks.max', 'aws.access.key.id', 'aws.secret.access.key']);
    expect(check.passed.has('aws.secret.access.key')).toBe(false);
    expect(check.passed.get('partitioner.class')).toBe('io.confluent.connect.storage.partitioner.TimeBasedPartitioner');
  });

  test('an unknown key is an error naming it, with the closest known key', () => {
    const check = checkConnectorConfig(ConnectorConfig.fromObject({ 'flush.sise': 1, 'completely.different.thing': 1 }));
    expect(check.errors).toEqual([
      expect.stringContaining('unknown key "flush.sise" (did you mean "flush.size"?)'),
      expect.stringMatching(/unknown key "completely.different.thing"; /),
    ]);
  });

  test('suggestions follow the crate rule', () => {
    expect(suggestion('partitioner.clas')).toBe('partitioner.class');
    expect(suggestion('completely.different.thing')).toBeUndefined();
  });

  test('ignored prefixes are ignored; open prefixes (transforms, converter options) pass', () => {
    const check = checkConnectorConfig(
      ConnectorConfig.fromObject({
        'consumer.override.max.poll.records': 5,
        transforms: 'unwrap',
        'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
        predicates: 'p',
        'value.converter.scrub.invalid.names': 'true',
      }),
    );
    expect(check.errors).toEqual([]);
    expect(check.ignored.map((i) => i.key)).toEqual(['consumer.override.max.poll.records']);
    expect([...check.passed.keys()]).toEqual(['transforms', 'transforms.unwrap.type', 'predicates', 'value.converter.scrub.invalid.names']);
  });

  test('a secret with a plain value is refused where it would reach the function', () => {
    const check = checkConnectorConfig(
      ConnectorConfig.fromObject({ 'value.converter.basic.auth.password': 'hunter2', 'aws.secret.access.key': 'AKIA-dummy' }),
    );
    expect(check.errors).toEqual([expect.stringContaining('"value.converter.basic.auth.password" is a secret and holds a plain value')]);
    // An ignored secret is dropped, with the warning saying so.
    expect(check.ignored).toEqual([expect.objectContaining({ key: 'aws.secret.access.key', secretValue: true })]);
  });

  test('config-provider references and empty placeholders are not plain secrets', () => {
    const check = checkConnectorConfig(
      ConnectorConfig.fromObject({
        'value.converter.basic.auth.password': '${secretsmanager:registry:password}',
        'aws.secret.access.key': '${}',
      }),
    );
    expect(check.errors).toEqual([]);
    expect(check.ignored).toEqual([expect.objectContaining({ key: 'aws.secret.access.key', secretValue: false })]);
  });

  test('the table flags secrets as the crate does', () => {
    for (const k of keyTable.keys) expect({ key: k.name, secret: isSecretKey(k.name) }).toEqual({ key: k.name, secret: k.secret });
  });
});
