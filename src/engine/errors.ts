/** A problem with user input (a model folder, a file, a text): one line naming the file and the problem. */
export class ModelError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'ModelError';
  }
}

/** Raised when an operation is cancelled by its AbortSignal. */
export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}
