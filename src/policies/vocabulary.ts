import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The closed lists of the policy language, as `schemas/rules.schema.json` defines them (one source of truth). */
export interface PolicyVocabulary {
  actions: string[];
  subjects: string[];
  partnerTypes: string[];
}

interface RulesSchema {
  properties: {
    rules: {
      items: {
        properties: {
          actions: { items: { enum: string[] } };
          subject: { enum: string[] };
          partnerTypes: { items: { enum: string[] } };
        };
      };
    };
  };
}

export function policyVocabulary(dir: string): PolicyVocabulary {
  const schema = JSON.parse(readFileSync(join(dir, 'schemas', 'rules.schema.json'), 'utf8')) as RulesSchema;
  const rule = schema.properties.rules.items.properties;
  return { actions: rule.actions.items.enum, subjects: rule.subject.enum, partnerTypes: rule.partnerTypes.items.enum };
}
