/** A well-formed webhook item we have no use for (e.g. an unknown account): recorded as ignored, with the reason. */
export class IgnoredItem extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'IgnoredItem';
  }
}
