/** One webhook item we cannot use (malformed): recorded with its reason, the rest of the delivery goes on. */
export class QuarantineError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'QuarantineError';
  }
}
