package dev.zeroinit.verify;

/**
 * Something the user gave or must give does not fit the model: an unknown or unset symbolic dim, an
 * input file that cannot be read as the tensor the model declares, an input name the model does not
 * have. The message is one line naming the input, the file or the flag to set.
 */
public class VerifyInputException extends Exception {
  public VerifyInputException(String message) {
    super(message);
  }
}
