package dev.zeroinit.init;

/** A weight's path to its consumer could not be followed; the message is the plan's skip reason. */
final class TraceException extends Exception {
  TraceException(String message) {
    super(message);
  }
}
