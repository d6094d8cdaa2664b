package dev.zeroinit.finetune;

import java.util.List;

/**
 * The gradient reaches a node whose op has no derivative rule (or whose attributes a rule does not
 * cover). The builder never guesses: it stops here rather than write a wrong gradient.
 */
public final class UnsupportedOpException extends TrainGraphException {
  private static final long serialVersionUID = 1L;

  private final String opType;
  private final String nodeName;
  private final List<String> supported;

  UnsupportedOpException(String opType, String nodeName, String detail, List<String> supported) {
    super(message(opType, nodeName, detail, supported));
    this.opType = opType;
    this.nodeName = nodeName;
    this.supported = List.copyOf(supported);
  }

  private static String message(String op, String node, String detail, List<String> supported) {
    return "no derivative for " + op + " node '" + node + "'"
        + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")")
        + ", which the gradient reaches; supported ops: " + String.join(", ", supported);
  }

  /** The op type of the node. */
  public String opType() {
    return opType;
  }

  /** The node's name (or its first output when it has none). */
  public String nodeName() {
    return nodeName;
  }

  /** The op types that have derivative rules. */
  public List<String> supported() {
    return supported;
  }
}
