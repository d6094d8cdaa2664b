package dev.zeroinit.cli;

/** A signal check ran and failed (exit code 5); the message lists the failed checks. */
final class SignalCheckFailedException extends Exception {
  SignalCheckFailedException(String message) {
    super(message);
  }
}
