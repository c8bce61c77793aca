import type { StoredDocument } from '../types';

/**
 * JSON encoding for the file store. Dates are written as ISO-8601 strings
 * (docs/design.md §3) and read back as Date. Only strings in exactly the form
 * Date#toISOString() produces are revived, so ordinary strings stay strings.
 */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function encodeDocuments(documents: Record<string, StoredDocument>): string {
  return `${JSON.stringify(documents, null, 2)}\n`;
}

export function decodeDocuments(text: string): Record<string, StoredDocument> {
  const parsed: unknown = JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'string' && ISO_DATE.test(value)) {
      const date = new Date(value);
      if (!Number.isNaN(date.getTime())) return date;
    }
    return value;
  });
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('the top level is not a JSON object');
  }
  return parsed as Record<string, StoredDocument>;
}
