/**
 * An error caused by the user's input (a file, a field, a prompt), with a one-line message
 * that names the file and field. The CLI prints it without a stack trace and exits non-zero;
 * the extension shows it as a notification. Anything else thrown is a bug.
 */
export class MechLensError extends Error {
  override readonly name = 'MechLensError';
  constructor(
    message: string,
    /** The file the problem is in, when there is one. */
    readonly file?: string,
  ) {
    super(message);
  }
}

/** Prefixes the message with the file's path, so every error names its file. */
export function fileError(file: string, message: string): MechLensError {
  return new MechLensError(`${file}: ${message}`, file);
}
