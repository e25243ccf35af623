/** A uuid[] literal for `= any(?::uuid[])`: one bound value however many ids (callers pass checked uuids). */
export const uuidArray = (ids: readonly string[]) => `{${ids.join(',')}}`;
