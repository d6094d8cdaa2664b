package dev.zeroinit.init.batch;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * One of {@code count} disjoint parts of a model zoo, chosen by path alone, so that N workers (a CI
 * matrix, a Kubernetes Indexed Job) split a folder with no coordination: a model belongs to shard
 * {@code 1 + (h mod N)}, where {@code h} is the first 8 bytes of the SHA-256 of its path relative to
 * the input folder (UTF-8, {@code /} as separator, as {@link ModelDiscovery} lists it), read as an
 * unsigned big-endian number. The index is 1-based, {@code 1/N} to {@code N/N} (as GitLab's
 * {@code CI_NODE_INDEX/CI_NODE_TOTAL}; a 0-based index such as Kubernetes' {@code
 * JOB_COMPLETION_INDEX} takes {@code +1}). A model's shard depends only on its own path and N:
 * adding or removing other models never moves it.
 *
 * @param index 1..count
 * @param count number of shards, at least 1
 */
public record Shard(int index, int count) {
  /** The whole set. */
  public static final Shard ALL = new Shard(1, 1);

  public Shard {
    if (count < 1 || index < 1 || index > count) {
      throw new IllegalArgumentException("shard " + index + "/" + count + ": need 1 <= K <= N");
    }
  }

  /** Parses {@code K/N} (1-based K); the message of the exception says what is wrong. */
  public static Shard parse(String s) {
    String[] parts = s.trim().split("/", -1);
    if (parts.length != 2) {
      throw new IllegalArgumentException("'" + s + "' is not K/N (for example 1/4)");
    }
    int k;
    int n;
    try {
      k = Integer.parseInt(parts[0].trim());
      n = Integer.parseInt(parts[1].trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + s + "' is not K/N with whole numbers (for example 1/4)");
    }
    if (n < 1) {
      throw new IllegalArgumentException("'" + s + "': N must be at least 1");
    }
    if (k < 1 || k > n) {
      throw new IllegalArgumentException("'" + s + "': K counts from 1 to N (a 0-based index takes +1)");
    }
    return new Shard(k, n);
  }

  /** True when the model at {@code relativePath} belongs to this shard. */
  public boolean contains(String relativePath) {
    return count == 1 || bucket(relativePath, count) == index - 1;
  }

  /** The 0-based bucket of {@code relativePath} among {@code n}. */
  public static int bucket(String relativePath, int n) {
    byte[] d;
    try {
      d = MessageDigest.getInstance("SHA-256").digest(relativePath.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    long h = 0;
    for (int i = 0; i < 8; i++) {
      h = h << 8 | (d[i] & 0xFF);
    }
    return (int) Long.remainderUnsigned(h, n);
  }

  @Override
  public String toString() {
    return index + "/" + count;
  }
}
