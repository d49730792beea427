/**
 * Why one record cannot go on through a stage. It is not a service failure: the record goes to the
 * dead letters with `errorClass` (a stable, upper-case name) and the stream moves on.
 */
export class RecordError extends Error {
  readonly errorClass: string
  constructor(errorClass: string, message: string) {
    super(message)
    this.name = 'RecordError'
    this.errorClass = errorClass
  }
}
