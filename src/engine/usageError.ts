// An error in what the user asked for or gave us (arguments, scenario files, calibration files):
// the CLI prints its message alone, without a stack, and exits with code 2.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
