import { describe, expect, it } from '@jest/globals';
import { bundleChunks, compact, FHIR_JSON, FHIR_NDJSON, preferredFhirMediaType, type FhirResource } from './bundle.js';

async function* from(resources: FhirResource[]) {
  yield* resources;
}
const collect = async (chunks: AsyncIterable<string>) => {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
};

describe('FHIR bundle helpers', () => {
  it('picks the representation the Accept header prefers, and the default when it names neither or both equally', () => {
    expect(preferredFhirMediaType(undefined, FHIR_NDJSON)).toBe(FHIR_NDJSON);
    expect(preferredFhirMediaType('*/*', FHIR_JSON)).toBe(FHIR_JSON);
    expect(preferredFhirMediaType('application/fhir+json', FHIR_NDJSON)).toBe(FHIR_JSON);
    expect(preferredFhirMediaType('Application/FHIR+NDJSON', FHIR_JSON)).toBe(FHIR_NDJSON);
    expect(preferredFhirMediaType('application/fhir+json;q=0.4, application/fhir+ndjson;q=0.9', FHIR_JSON)).toBe(
      FHIR_NDJSON,
    );
    expect(preferredFhirMediaType('application/fhir+json, application/fhir+ndjson', FHIR_NDJSON)).toBe(FHIR_NDJSON);
    expect(preferredFhirMediaType('application/fhir+json;q=0', FHIR_NDJSON)).toBe(FHIR_NDJSON);
  });

  it('strips what FHIR JSON forbids: null, empty strings, empty arrays and objects; keeps false and 0', () => {
    expect(
      compact({ a: null, b: '', c: [], d: {}, e: [{ f: undefined }], g: false, h: 0, i: { j: [null, 'x'] } }),
    ).toEqual({ g: false, h: 0, i: { j: ['x'] } });
  });

  it('streams a Bundle that parses as one JSON document, with no empty entry array', async () => {
    const at = new Date('2026-03-01T10:00:00Z');
    expect(JSON.parse(await collect(bundleChunks(from([]), at)))).toEqual({
      resourceType: 'Bundle',
      type: 'collection',
      timestamp: '2026-03-01T10:00:00.000Z',
    });
    const id = '3b94dc3a-3b6f-473d-83ae-fb06f4d3225b';
    const bundle = JSON.parse(
      await collect(
        bundleChunks(
          from([
            { resourceType: 'Consent', id },
            { resourceType: 'Consent', id: 'not-a-uuid' },
          ]),
          at,
        ),
      ),
    );
    expect(bundle.entry).toEqual([
      { fullUrl: `urn:uuid:${id}`, resource: { resourceType: 'Consent', id } },
      { resource: { resourceType: 'Consent', id: 'not-a-uuid' } },
    ]);
  });
});
