package dev.zeroinit.init.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** K/N parsing, exact partition, even spread, and the hash pinned to an independent implementation. */
class ShardTest {

  @Test
  void parsesOneBasedKOfN() {
    assertEquals(new Shard(1, 4), Shard.parse("1/4"));
    assertEquals(new Shard(4, 4), Shard.parse(" 4 / 4 "));
    assertEquals(Shard.ALL, Shard.parse("1/1"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0/4", "5/4", "1/0", "a/b", "1", "1/2/3", "", "-1/2"})
  void refusesWhatIsNotKOfN(String s) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shard.parse(s));
    assertTrue(e.getMessage().contains(s.isEmpty() ? "K/N" : s.trim()), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 16})
  void everyPathIsInExactlyOneShardAndTheShardsAreEven(int n) {
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      paths.add("zoo/family" + (i % 13) + "/model_" + i + ".onnx");
    }
    int[] sizes = new int[n];
    for (String p : paths) {
      int hits = 0;
      for (int k = 1; k <= n; k++) {
        if (new Shard(k, n).contains(p)) {
          hits++;
          sizes[k - 1]++;
        }
      }
      assertEquals(1, hits, p);
    }
    for (int s : sizes) {
      assertTrue(Math.abs(s - 2000.0 / n) < 0.25 * 2000 / n + 10, "uneven shards " + java.util.Arrays.toString(sizes));
    }
  }

  /** Values from Python: int.from_bytes(hashlib.sha256(p.encode()).digest()[:8], 'big') % n. */
  @Test
  void bucketIsTheDocumentedHash() {
    assertEquals(0, Shard.bucket("a/b/model.onnx", 2));
    assertEquals(0, Shard.bucket("a/b/model.onnx", 4));
    assertEquals(3, Shard.bucket("a/b/model.onnx", 7));
    assertEquals(1, Shard.bucket("resnet.onnx", 2));
    assertEquals(3, Shard.bucket("resnet.onnx", 4));
    assertEquals(5, Shard.bucket("zoo/bert/model.onnx", 7));
  }
}
