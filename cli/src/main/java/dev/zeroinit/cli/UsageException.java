package dev.zeroinit.cli;

/** A combination of options or arguments that cannot work; exit code 2. */
final class UsageException extends Exception {
  UsageException(String message) {
    super(message);
  }
}
