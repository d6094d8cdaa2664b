package dev.zeroinit.verify;

/** {@code --device cuda} where the CUDA execution provider cannot be used; the message says why. */
public class DeviceUnavailableException extends Exception {
  public DeviceUnavailableException(String message) {
    super(message);
  }
}
