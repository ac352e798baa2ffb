// The report formats' own schemas, shipped under test/fixtures/schemas/ (see its README): SARIF
// 2.1.0's JSON schema checked with Ajv, the Ant JUnit XSD checked with xmllint (libxml2-utils,
// installed by scripts/setup.sh).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';

const schemas = path.resolve(__dirname, '../fixtures/schemas');

let sarifValidate: (((data: unknown) => boolean) & { errors?: unknown }) | null = null;

/** Returns the schema errors (empty when valid). */
export function sarifSchemaErrors(log: unknown): string[] {
  if (!sarifValidate) {
    const schema = JSON.parse(fs.readFileSync(path.join(schemas, 'sarif-schema-2.1.0.json'), 'utf8'));
    // The schema is draft-04, which Ajv 8 reads once the root's draft-04 `id` is its `$id`; it uses
    // no keyword whose meaning changed after draft-04 (no exclusiveMinimum/Maximum).
    delete schema.$schema;
    schema.$id = schema.id;
    delete schema.id;
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addFormat('uri', (s: string) => URL.canParse(s));
    ajv.addFormat('uri-reference', (s: string) => URL.canParse(s, 'file:///base/'));
    ajv.addFormat(
      'date-time',
      (s: string) =>
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)),
    );
    sarifValidate = ajv.compile(schema);
  }
  if (sarifValidate(log)) return [];
  return ((sarifValidate as { errors?: { instancePath: string; message?: string }[] }).errors ?? []).map(
    (e) => `${e.instancePath || '/'}: ${e.message}`,
  );
}

/** xmllint's verdict on `file` against the JUnit XSD: '' when valid, else its messages. */
export function junitSchemaErrors(file: string): string {
  const r = spawnSync('xmllint', ['--noout', '--schema', path.join(schemas, 'junit.xsd'), file], { encoding: 'utf8' });
  if (r.error)
    throw new Error(`xmllint could not run (${r.error.message}); install libxml2-utils (scripts/setup.sh does)`);
  return r.status === 0 ? '' : r.stderr;
}

/** One XPath value from an XML file (xmllint --xpath). */
export function xpath(file: string, expr: string): string {
  const r = spawnSync('xmllint', ['--xpath', expr, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`xmllint --xpath ${expr}: ${r.stderr}`);
  return r.stdout.replace(/\n$/, '');
}
