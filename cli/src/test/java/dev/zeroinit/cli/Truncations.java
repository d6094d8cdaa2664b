package dev.zeroinit.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Offsets at which to cut an ONNX file, by the kind of protobuf boundary they fall on, found by
 * walking the wire format along the messages that hold the model's structure (model, graph, node,
 * attribute, tensor, value info).
 */
final class Truncations {
  private Truncations() { }

  private enum Msg { MODEL, GRAPH, NODE, ATTRIBUTE, TENSOR, OTHER }

  /** Kind -> offsets: tag, length, nested, raw_data, field-end, header. */
  static Map<String, TreeSet<Integer>> of(byte[] file) {
    Map<String, TreeSet<Integer>> cuts = new LinkedHashMap<>();
    for (String k : List.of("tag", "length", "nested", "raw_data", "field-end", "header")) {
      cuts.put(k, new TreeSet<>());
    }
    for (int i = 1; i < Math.min(64, file.length); i++) {
      cuts.get("header").add(i);
    }
    walk(file, 0, file.length, Msg.MODEL, cuts);
    return cuts;
  }

  /** At most {@code n} offsets of {@code all}, evenly spread, always the first and last. */
  static List<Integer> spread(TreeSet<Integer> all, int n) {
    List<Integer> list = new ArrayList<>(all);
    if (list.size() <= n) {
      return list;
    }
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(list.get((int) ((long) i * (list.size() - 1) / (n - 1))));
    }
    return out;
  }

  private static void walk(byte[] b, int start, int end, Msg msg, Map<String, TreeSet<Integer>> cuts) {
    int pos = start;
    while (pos < end) {
      int tagStart = pos;
      long[] tag = varint(b, pos, end);
      if (tag == null) {
        return;
      }
      pos = (int) tag[1];
      // inside the tag: after its first byte (a multi-byte tag), or right after a one-byte tag
      cuts.get("tag").add(tagStart + 1);
      int field = (int) (tag[0] >>> 3);
      int wire = (int) (tag[0] & 7);
      switch (wire) {
        case 0 -> {
          long[] v = varint(b, pos, end);
          if (v == null) {
            return;
          }
          pos = (int) v[1];
        }
        case 1 -> pos += 8;
        case 5 -> pos += 4;
        case 2 -> {
          long[] len = varint(b, pos, end);
          if (len == null || len[0] > end - len[1]) {
            return;
          }
          if (len[1] - pos > 1) {
            cuts.get("length").add(pos + 1); // between the bytes of a multi-byte length prefix
          } else {
            cuts.get("length").add(pos); // right before a one-byte length prefix
          }
          int bodyStart = (int) len[1];
          int bodyEnd = bodyStart + (int) len[0];
          Msg child = child(msg, field);
          if (msg == Msg.TENSOR && field == 9 && bodyEnd > bodyStart + 1) {
            cuts.get("raw_data").add(bodyStart + (bodyEnd - bodyStart) / 2);
            cuts.get("raw_data").add(bodyStart + 1);
          } else if (child != Msg.OTHER && bodyEnd > bodyStart + 1) {
            cuts.get("nested").add(bodyStart + (bodyEnd - bodyStart) / 2);
            walk(b, bodyStart, bodyEnd, child, cuts);
          }
          pos = bodyEnd;
        }
        default -> {
          return;
        }
      }
      if (pos > end) {
        return;
      }
      cuts.get("field-end").add(pos);
    }
  }

  private static Msg child(Msg parent, int field) {
    return switch (parent) {
      case MODEL -> field == 7 ? Msg.GRAPH : Msg.OTHER;
      case GRAPH -> switch (field) {
        case 1 -> Msg.NODE;
        case 5 -> Msg.TENSOR;
        default -> Msg.OTHER;
      };
      case NODE -> field == 5 ? Msg.ATTRIBUTE : Msg.OTHER;
      case ATTRIBUTE -> switch (field) {
        case 5 -> Msg.TENSOR;
        case 6 -> Msg.GRAPH;
        default -> Msg.OTHER;
      };
      default -> Msg.OTHER;
    };
  }

  /** {value, position after it}, or null when malformed. */
  private static long[] varint(byte[] b, int pos, int end) {
    long v = 0;
    for (int shift = 0; shift < 64 && pos < end; shift += 7) {
      byte x = b[pos++];
      v |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return new long[] {v, pos};
      }
    }
    return null;
  }
}
