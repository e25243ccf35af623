/**
 * SQL pieces shared by the activity rollups and the raw queries, so both count by exactly the same
 * rules. `alias` is always a table alias written in our code, never input.
 */

/** The rows of the partial index conversation_event_lifecycle_index (same predicate, so the planner can use it). */
export const LIFECYCLE_EVENT = (alias: string) => `${alias}.type in ('CONVERSATION_OPENED', 'STATUS_CHANGED')`;

/** A new conversation, or a closed one reopened (by the customer writing again or by a member). */
export const OPENED_EVENT = (alias: string) =>
  `(${alias}.type = 'CONVERSATION_OPENED' or (${alias}.type = 'STATUS_CHANGED' and ${alias}.data->>'previous' = 'CLOSED' and ${alias}.data->>'status' <> 'CLOSED'))`;

/** A move to CLOSED from any other status. */
export const CLOSED_EVENT = (alias: string) =>
  `(${alias}.type = 'STATUS_CHANGED' and ${alias}.data->>'status' = 'CLOSED' and ${alias}.data->>'previous' is distinct from 'CLOSED')`;

/** A PostgreSQL array literal, bound as one `?::timestamptz[]` value (the driver would spread a JS array into a list). */
export const timestampArray = (values: Date[]) => `{${values.map((value) => value.toISOString()).join(',')}}`;

/** The same for `?::uuid[]`; ids come from our own rows. */
export const uuidArray = (values: string[]) => `{${values.join(',')}}`;
